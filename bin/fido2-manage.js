#!/usr/bin/env node
// Answers --version before loading the CLI: scripts call it often and it should cost no more than Node itself.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/cli.js');
  const code = await main(args);
  // Leave even if a device handle lingers; `sim` resolves only when its server has stopped.
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
