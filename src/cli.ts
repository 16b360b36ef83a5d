// placeholder replaced by the CLI work; the sim command is wired so the virtual key can be served
import { Command } from 'commander';

const program = new Command('fido2-manage');
program
  .command('sim')
  .option('--listen <hostport>', 'address to listen on', '127.0.0.1:35962')
  .option('--profile <name>', 'fido-2.1 | fido-2.1-pre | fido-2.0 | u2f-only', 'fido-2.1')
  .option('--uv', 'simulate a built-in fingerprint sensor')
  .option('--state <file>', 'keep the key state in this file')
  .option('--reset-window <seconds>', 'accept reset only this long after power-up')
  .option('--presence <mode>', 'confirm | deny | delay:MS', 'confirm')
  .action(async (opts) => {
    const { runSim } = await import('./commands/sim.js');
    await runSim(opts);
  });
await program.parseAsync(process.argv);
