#!/usr/bin/env node
import { handleSignals, helpText, runMain } from '@iam4kube/shared';
import { SERVER_USAGE, parseServerArgs, serverFlags } from './config.js';
import { startServer } from './app.js';
import { checkServerFiles } from './check-config.js';
import { keepTickObjectShape } from './tick-object-shape.js';

// First, before the start's garbage collections (tick-object-shape.ts says why).
keepTickObjectShape();

runMain('iam4kube-server', async () => {
  const parsed = parseServerArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(helpText(serverFlags, SERVER_USAGE));
    return;
  }
  if (parsed.values.checkConfig) {
    checkServerFiles(parsed.values);
    process.stdout.write('config ok\n');
    return;
  }
  const server = await startServer(parsed.values);
  handleSignals({ logger: server.logger, shutdown: () => server.stop() });
});
