// Alibaba Cloud Function Compute 3.0's conventions that both runtimes share: the environment a
// function process starts with and the request headers a custom runtime receives. What the
// built-in Node.js runtime does per request (event, context, result) is in fc3Host.ts.
import type { FunctionConfig } from '../../model';

/** FC 3.0's default memorySize (CreateFunction, https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createfunction). */
export const FC_DEFAULT_MEMORY_MB = 512;
/** What the local platform answers for FC's region and account id, unless the function's env sets FC_REGION / FC_ACCOUNT_ID. */
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT_ID = 'local';

/** What an FC function may learn about itself. */
export interface Fc3Function {
  name: string;
  /** nodejs: `index.handler`; custom: FC fills a placeholder. */
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  region: string;
  accountId: string;
  version: number;
}

export function fc3Function(name: string, version: number, config: FunctionConfig): Fc3Function {
  return {
    name,
    handler: config.handler ?? 'index.handler',
    memoryMb: config.memoryMb ?? FC_DEFAULT_MEMORY_MB,
    // FC counts timeouts in whole seconds.
    timeoutSeconds: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    region: config.env.FC_REGION ?? LOCAL_REGION,
    accountId: config.env.FC_ACCOUNT_ID ?? LOCAL_ACCOUNT_ID,
    version,
  };
}

/**
 * FC's system environment variables ("Configure environment variables",
 * https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables). Temporary
 * credentials (ALIBABA_CLOUD_ACCESS_KEY_ID…) come from the function's own env, if anywhere:
 * the local platform assumes no role.
 */
export function fc3Environment(fn: Fc3Function, codeDir: string): Record<string, string> {
  return {
    FC_FUNC_CODE_PATH: codeDir,
    FC_ACCOUNT_ID: fn.accountId,
    FC_FUNCTION_HANDLER: fn.handler,
    FC_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    FC_FUNCTION_NAME: fn.name,
    FC_REGION: fn.region,
    FC_FUNCTION_VERSION: String(fn.version),
  };
}

/**
 * A custom runtime's port: FC gives it in FC_SERVER_PORT (FC 2.0's name) and
 * FC_CUSTOM_LISTEN_PORT (3.0's), from customRuntimeConfig.port, default 9000
 * (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-struct-customruntimeconfig).
 * Locally several instances and versions run side by side, so the port is a free one the
 * platform picks, and PORT carries it too.
 */
export function fc3PortEnvironment(port: number): Record<string, string> {
  return { FC_SERVER_PORT: String(port), FC_CUSTOM_LISTEN_PORT: String(port) };
}

/**
 * FC's common request headers for a custom runtime ("Context and log format",
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/context-and-log-format-1),
 * as a flat name/value list. x-fc-control-path says an HTTP trigger made the call.
 */
export function fc3RequestHeaders(fn: Fc3Function, requestId: string, qualifier: string): string[] {
  return [
    'x-fc-request-id', requestId,
    'x-fc-function-name', fn.name,
    'x-fc-function-handler', fn.handler,
    'x-fc-function-memory', String(fn.memoryMb),
    'x-fc-function-timeout', String(fn.timeoutSeconds),
    'x-fc-region', fn.region,
    'x-fc-account-id', fn.accountId,
    'x-fc-qualifier', qualifier,
    'x-fc-version-id', String(fn.version),
    'x-fc-control-path', '/http-invoke',
  ];
}
