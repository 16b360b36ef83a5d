// Preloaded with --require by lazy-cbor.test.ts: on exit, writes every CommonJS module the process loaded.
const fs = require('node:fs');
process.on('exit', () => fs.writeFileSync(process.env.LOADED_MODULES_OUT, Object.keys(require.cache).join('\n')));
