#!/usr/bin/env node
import { handleSignals, helpText, runMain } from '@iam4kube/shared';

import { startIp2service } from './app.js';
import { runCleanup } from './cleanup.js';
import { IP2SERVICE_USAGE, ip2serviceFlags, parseIp2serviceArgs } from './config.js';

runMain('ip2service', async () => {
  const args = parseIp2serviceArgs(process.argv.slice(2), process.env);
  if (args.kind === 'help') {
    process.stdout.write(helpText(ip2serviceFlags, IP2SERVICE_USAGE));
    return;
  }
  if (args.config.checkConfig) {
    process.stdout.write('config ok\n');
    return;
  }
  if (args.command === 'cleanup') {
    await runCleanup(args.config);
    return;
  }
  const agent = await startIp2service(args.config);
  // SIGTERM: stop syncing and exit 0 with the rules in place (see app.ts).
  handleSignals({ logger: agent.logger, shutdown: () => agent.stop() });
});
