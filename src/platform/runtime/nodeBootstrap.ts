// Entry of dist/runtime-node.js, the one program the platform forks for function processes:
// a warm Node.js function host by default, or the supervisor of a custom runtime's command.
import { runFunctionHost } from './functionHost';
import { runSupervisor } from './supervisor';
import { SUPERVISE_ARG } from './protocol';

if (process.argv[2] === SUPERVISE_ARG) runSupervisor();
else runFunctionHost();
