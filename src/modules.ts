// Everything the CLI runs beyond parsing its arguments, as one entry: scripts/bundle.mjs bundles
// it into dist/ship.cjs, which cli.ts loads through V8's code cache (code-cache.ts). Each module
// is imported only when a command asks for it, so a command evaluates only what it uses.

export const up = () => import('./commands/up.js');
export const dev = () => import('./commands/dev.js');
export const render = () => import('./commands/render.js');
export const remove = () => import('./commands/delete.js');
export const status = () => import('./commands/status.js');
export const logs = () => import('./commands/logs.js');
export const exec = () => import('./commands/exec.js');
export const why = () => import('./commands/why.js');
export const doctor = () => import('./commands/doctor.js');
export const init = () => import('./commands/init.js');
export const target = () => import('./commands/target.js');
export const errors = () => import('./errors.js');
