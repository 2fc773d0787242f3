// Preloaded into every Node.js dynamic provider the launcher starts: the provider ends when the
// engine that started it is gone. The engine puts each plugin in its own process group, so when
// the CLI is killed (a power cut, SIGKILL) nothing else stops them, and they would run on.
const engine = process.ppid;
setInterval(() => {
  if (process.ppid !== engine) process.exit(1);
}, 1000).unref();
