import { runEr } from './er';

runEr(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`er: failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
