// The CI pipelines `flightdeck init --ci github|gitlab` writes. They call only the flightdeck CLI:
// a push to a feature branch deploys its branch environment; deleting the branch (or closing its
// pull request) deletes it; a push to the default branch deploys to staging, then to production
// (which moves no traffic) and rolls each function out with the project's rollout settings,
// failing the job when a rollout rolls back.

import { relative } from 'node:path';
import type { ProjectConfig } from '../config/projectFile';
import { FlightdeckError } from '../errors';

export type CiSystem = 'github' | 'gitlab';
export const CI_SYSTEMS: readonly CiSystem[] = ['github', 'gitlab'];

export const PIPELINE_FILES: Record<CiSystem, string> = {
  github: '.github/workflows/flightdeck.yml',
  gitlab: '.gitlab-ci.yml',
};

/** The {user} of branch environments CI creates, so every job names the same one. */
export const CI_USER = 'ci';

interface Plan {
  staging?: string;
  production: string;
  functions: string[];
  /** ` --config sub/flightdeck.yaml` when the project file is not at the repository's root. */
  config: string;
}

export function pipelineFor(system: CiSystem, project: ProjectConfig, repositoryRoot: string): string {
  const plan = planOf(project, repositoryRoot);
  return system === 'github' ? githubWorkflow(plan) : gitlabPipeline(plan);
}

function planOf(project: ProjectConfig, repositoryRoot: string): Plan {
  const production = project.environments.find((e) => e.kind === 'production');
  if (!production) {
    throw new FlightdeckError('CONFIG_INVALID',
      `${project.file} declares no production environment for the pipeline to release to: add it under environments:, e.g. production: { kind: production, protected: true }.`,
      { file: project.file, field: 'environments' });
  }
  const file = relative(repositoryRoot, project.file).split('\\').join('/');
  return {
    staging: project.environments.find((e) => e.kind === 'staging')?.name,
    production: production.name,
    functions: project.functions.map((f) => f.name),
    config: file === 'flightdeck.yaml' ? '' : ` --config ${file}`,
  };
}

const SECRETS = `# Provider settings:
#   local platform (the default): none. Each job runs the platform on its runner, so its
#     environments last as long as the job; point the CLI at a shared engine for lasting ones.
#   Knative: a KUBECONFIG secret for a service account that may manage Knative Services in the
#     cluster's namespace.
#   Alibaba Cloud Function Compute 3.0: ALIBABA_CLOUD_ACCESS_KEY_ID and
#     ALIBABA_CLOUD_ACCESS_KEY_SECRET secrets of a RAM user allowed to manage functions, aliases and
#     versions, and FC_REGION and FC_ACCOUNT_ID variables.
# Pass them to the jobs' env (GitHub: secrets.NAME / vars.NAME; GitLab: masked CI/CD variables).`;

function releaseCommands(plan: Plan): string[] {
  return [
    ...(plan.staging ? [`flightdeck deploy --env ${plan.staging}${plan.config}`] : []),
    // A deploy to production publishes versions but moves no traffic; the rollouts move it.
    `flightdeck deploy --env ${plan.production}${plan.config}`,
    ...plan.functions.map((fn) => `flightdeck rollout start --env ${plan.production} --function ${fn} --version latest --skip-if-live --wait${plan.config}`),
  ];
}

function githubWorkflow(plan: Plan): string {
  const setup = `      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install the Flightdeck CLI
        run: command -v flightdeck || npm install --global flightdeck`;
  const release = releaseCommands(plan).map((command) => `      - name: ${releaseStepName(command, plan)}
        run: ${command}`);
  return `# Written by \`flightdeck init --ci github\`. It uses only the flightdeck CLI:
# - push to a feature branch: deploy it to its branch environment; the URLs go to the job summary
# - branch deleted, or its pull request closed: delete that environment
# - push to the default branch: deploy to ${plan.staging ? `${plan.staging}, then ` : ''}${plan.production} and roll each function out with
#   the project's rollout settings; the job fails when a rollout rolls back.
${SECRETS}
name: Flightdeck
on:
  push:
    branches: ['**']
  delete:
  pull_request:
    types: [closed]
concurrency:
  group: flightdeck-\${{ github.event_name == 'pull_request' && github.head_ref || github.event_name == 'delete' && github.event.ref || github.ref_name }}
  cancel-in-progress: false
permissions:
  contents: read
jobs:
  branch-environment:
    name: Deploy the branch environment
    if: github.event_name == 'push' && github.ref_name != github.event.repository.default_branch
    runs-on: ubuntu-latest
    env:
      BRANCH: \${{ github.ref_name }}
    steps:
${setup}
      - name: Deploy
        run: |
          flightdeck deploy --branch "$BRANCH" --user ${CI_USER}${plan.config} | tee deploy.txt
          { echo "### Environment of \\\`$BRANCH\\\`"; echo; echo '\`\`\`'; cat deploy.txt; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"
  delete-branch-environment:
    name: Delete the branch environment
    if: (github.event_name == 'delete' && github.event.ref_type == 'branch') || (github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository)
    runs-on: ubuntu-latest
    env:
      BRANCH: \${{ github.event_name == 'delete' && github.event.ref || github.head_ref }}
    steps:
${setup}
      - name: Delete
        run: flightdeck env delete --branch "$BRANCH" --user ${CI_USER} --missing-ok${plan.config}
  release:
    name: Release to ${plan.production}
    if: github.event_name == 'push' && github.ref_name == github.event.repository.default_branch
    runs-on: ubuntu-latest
    steps:
${setup}
${release.join('\n')}
`;
}

function releaseStepName(command: string, plan: Plan): string {
  const rollout = /--function (\S+)/.exec(command);
  if (rollout) return `Roll out ${rollout[1]}`;
  return command.includes(`--env ${plan.production}`) ? `Deploy to ${plan.production} (moves no traffic)` : `Deploy to ${plan.staging}`;
}

function gitlabPipeline(plan: Plan): string {
  const release = releaseCommands(plan).map((command) => `    - ${command}`);
  return `# Written by \`flightdeck init --ci gitlab\`. It uses only the flightdeck CLI:
# - push to a feature branch: deploy it to its branch environment (a GitLab environment whose
#   stop job runs when the branch is deleted or its merge request merged with the branch removed)
# - push to the default branch: deploy to ${plan.staging ? `${plan.staging}, then ` : ''}${plan.production} and roll each function out with
#   the project's rollout settings; the job fails when a rollout rolls back.
${SECRETS}
stages:
  - deploy
  - release
default:
  image: node:20
  before_script:
    - command -v flightdeck || npm install --global flightdeck
branch-environment:
  stage: deploy
  rules:
    - if: $CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH
  environment:
    name: branch/$CI_COMMIT_REF_SLUG
    on_stop: delete-branch-environment
  script:
    - flightdeck deploy --branch "$CI_COMMIT_BRANCH" --user ${CI_USER}${plan.config}
delete-branch-environment:
  stage: deploy
  rules:
    - if: $CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH
      when: manual
  allow_failure: true
  environment:
    name: branch/$CI_COMMIT_REF_SLUG
    action: stop
  # This job runs once the branch is deleted, when the runner could no longer fetch it: it checks
  # nothing out and reads flightdeck.yaml from the default branch instead (into a fresh folder:
  # without a checkout, the runner keeps its build folder from job to job).
  variables:
    GIT_STRATEGY: none
  script:
    - rm -rf .flightdeck-default-branch
    - git clone --quiet --depth 1 --branch "$CI_DEFAULT_BRANCH" "$CI_REPOSITORY_URL" .flightdeck-default-branch
    - cd .flightdeck-default-branch
    - flightdeck env delete --branch "$CI_COMMIT_BRANCH" --user ${CI_USER} --missing-ok${plan.config}
release:
  stage: release
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  resource_group: ${plan.production}
  script:
${release.join('\n')}
`;
}
