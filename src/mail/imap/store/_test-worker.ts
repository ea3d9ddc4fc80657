// Test-only child process (module-private): hammers one folder index so integration tests
// can SIGKILL it mid-write or run two of it at once. Prints "A <uid>" after each APPEND OK.
// Usage: node --import tsx _test-worker.ts <maildir> <cacheFile> <appends|mixed> <count>
import { FolderIndex } from './folder-index.ts';

const [dir, cacheFile, mode, countArg] = process.argv.slice(2) as [string, string, string, string];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Deleted', '$Label1', 'Work'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

const ix = await FolderIndex.open(dir, cacheFile, dir);
process.stdout.write('ready\n');
for (let i = 0; i < Number(countArg); i++) {
  if (mode === 'appends' || i % 2 === 0 || ix.messages().length === 0) {
    const flags = Math.random() < 0.5 ? [] : [pick(FLAGS)];
    const { uid } = await ix.append(Buffer.from(`Subject: ${process.pid} ${i}\r\n\r\nbody ${i}\r\n`), flags);
    process.stdout.write(`A ${uid}\n`);
  } else {
    const uids = ix.messages().map((m) => m.uid);
    const some = uids.filter(() => Math.random() < 0.3);
    await ix.setFlags(some.length ? some : [pick(uids)], pick(['add', 'remove', 'replace'] as const), [pick(FLAGS), pick(FLAGS)]);
    if (i % 7 === 0) await ix.sync(true);
  }
}
