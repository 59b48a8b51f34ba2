// The files `Flightdeck: Create flightdeck.yaml` writes: a project file and one sample Node.js
// function. No vscode here, so a unit test checks the project file parses cleanly.
import { toDnsLabel } from '../deploy/personalEnvironment';

export const SAMPLE_FUNCTION = 'hello';

export interface StarterFile {
  /** POSIX path relative to the project folder. */
  path: string;
  text: string;
}

export function starterProject(folderName: string): StarterFile[] {
  const project = toDnsLabel(folderName) || 'my-project';
  return [
    {
      path: 'flightdeck.yaml',
      text: `# Flightdeck project. "Flightdeck: Deploy Current Branch" deploys every function below to
# your personal environment for the checked-out branch.
project: ${project}
functions:
  ${SAMPLE_FUNCTION}:
    runtime: nodejs
    code: ./${SAMPLE_FUNCTION}
    handler: index.handler
    instances: { min: 0, max: 2, concurrency: 16, idleTimeout: 5m }
    timeout: 10s
personal:
  name: "{user}-{branch}"
`,
    },
    {
      path: `${SAMPLE_FUNCTION}/index.js`,
      text: `// A Flightdeck function: gets the HTTP request as \`event\`, returns the response.
exports.handler = async (event, context) => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain' },
  body: \`Hello from \${context.functionName} v\${context.version} (\${event.method} \${event.path})\\n\`,
});
`,
    },
  ];
}
