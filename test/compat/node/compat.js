// Step runner shared by the Node.js clients of the compatibility suite.
// Each client runs a fixed sequence of steps against Floe and prints one
// line per step: "ok <step>" or "fail <step>: <error>". The connection
// comes from the environment: FLOE_HOST, FLOE_PORT, FLOE_USER,
// FLOE_PASSWORD, FLOE_DB; COMPAT_TABLE names the table the script creates.
'use strict';

const env = process.env;
exports.conf = {
  host: env.FLOE_HOST || '127.0.0.1',
  port: Number(env.FLOE_PORT || 0),
  user: env.FLOE_USER || '',
  password: env.FLOE_PASSWORD || '',
  database: env.FLOE_DB || '',
};
exports.TABLE = env.COMPAT_TABLE || 'compat_node';

class Failed extends Error {}
exports.Failed = Failed;

// expect compares JSON renderings of got and want.
exports.expect = (got, want, what) => {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Failed(`${what}: got ${g}, want ${w}`);
};

const oneLine = (e) => `${(e && e.code) ? e.code + ' ' : ''}${e && e.message ? e.message : String(e)}`.split(/\s+/).join(' ').slice(0, 400);

// run runs the steps in order; a failed step does not stop the run unless
// it is fatal. onError runs after a failed step (to end a transaction).
exports.run = async (steps, onError) => {
  for (const [name, fn, fatal] of steps) {
    try {
      await fn();
      console.log(`ok ${name}`);
    } catch (e) {
      console.log(`fail ${name}: ${oneLine(e)}`);
      if (onError) {
        try { await onError(); } catch (_) { /* reported above */ }
      }
      if (fatal) return;
    }
  }
};
