#!/usr/bin/env node
// Entry point of the `tandem` CLI. The sources are TypeScript and run through tsx,
// so a checkout works right after `npm install` with no build step.
// scrypt password checks and file I/O share libuv's thread pool (4 threads by
// default); a burst of logins would stall mailbox reads. Must be set before first use.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { register } = await import('tsx/esm/api');

register();
await import('../src/cli/main.ts');
