#!/usr/bin/env node
// `npm run demo`: the local demo stack in the foreground until Ctrl-C.
import { enumFlag, helpText, intFlag, optionalStringFlag, parseFlags, runMain, ConfigError } from '@iam4kube/shared';
import { startStack } from './stack.js';
import { demoInstructions } from './instructions.js';

const demoFlags = {
  sts: enumFlag({ description: 'Which STS the server uses: our emulator, or moto_server.', env: 'DEMO_STS', default: 'emulator', values: ['emulator', 'moto'] as const }),
  kubePort: intFlag({ description: 'Port of the Kubernetes API emulator.', env: 'DEMO_KUBE_PORT', default: 16443, min: 0, max: 65535 }),
  stsPort: intFlag({ description: 'Port of the STS emulator (or moto).', env: 'DEMO_STS_PORT', default: 14566, min: 0, max: 65535 }),
  metadataPort: intFlag({ description: 'Port of the iam4kube metadata API.', env: 'DEMO_METADATA_PORT', default: 18181, min: 0, max: 65535 }),
  auxPort: intFlag({ description: 'Port of /healthz, /readyz and /metrics.', env: 'DEMO_AUX_PORT', default: 19191, min: 0, max: 65535 }),
  manifests: optionalStringFlag({ description: 'Folder of YAML files to seed the Kubernetes API emulator with (default: manifests/examples).' }),
  logLevel: enumFlag({ description: "The server's log level.", env: 'DEMO_LOG_LEVEL', default: 'info', values: ['debug', 'info', 'warn', 'error'] as const }),
};

runMain('demo', async () => {
  const parsed = parseFlags(demoFlags, process.argv.slice(2), { env: process.env });
  if (parsed.kind === 'help') {
    process.stdout.write(helpText(demoFlags, 'Usage: npm run demo -- [flags]\n\nRuns the local demo stack on 127.0.0.1 until Ctrl-C.'));
    return;
  }
  const o = parsed.values;
  process.stdout.write('starting the demo stack on 127.0.0.1 ...\n');
  const stack = await startStack({
    sts: o.sts,
    kubePort: o.kubePort,
    stsPort: o.stsPort,
    metadataPort: o.metadataPort,
    auxPort: o.auxPort,
    logLevel: o.logLevel,
    ...(o.manifests ? { manifestsDir: o.manifests } : {}),
    onServerLine: (line) => process.stderr.write(`[server] ${line}\n`),
    // Ctrl-C reaches this process only; it stops the server with one SIGTERM (a second signal would cut its drain).
    serverProcessGroup: true,
  }).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(message.includes('EADDRINUSE') || message.includes('cannot listen') ? `${message} (choose other ports, see --help)` : message);
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write('\nstopping the demo stack ...\n');
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Only now: writes to a pipe are synchronous on Linux, so whoever reads the instructions may press Ctrl-C before
  // the next statement runs. Printed before the handlers, such a signal killed the demo and left the server (in a
  // process group of its own) running (seen once in CI: test/e2e/demo.test.ts).
  process.stdout.write(demoInstructions(stack));
  void stack.server.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`the server exited unexpectedly (code ${code})\n`);
      void stack.stop().then(() => process.exit(1));
    }
  });
});
