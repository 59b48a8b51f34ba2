// Takes the place of lz4-napi in dist/provider-fc3.js (esbuild.mjs aliases it here). The SLS SDK's
// gateway (@alicloud/gateway-sls-util) loads that native addon when it starts, but a .node file
// cannot be bundled and the VSIX and the CLI's tarball ship no node_modules. GetLogs, the one SLS
// call Flightdeck makes, neither sends nor asks for lz4 (the gateway compresses PutLogs and asks
// lz4 only for PullLogs, GetLogsV2 and PreviewSPL), so these are never called; if they were, the
// message says why.
function absent(): never {
  throw new Error('lz4 is not bundled with Flightdeck: its SLS client reads logs with GetLogs, which is not compressed');
}

export const compress = absent;
export const uncompress = absent;
