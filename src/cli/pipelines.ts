// The CI pipelines `flightdeck init --ci github|gitlab` writes. They call only the flightdeck CLI:
// a push to a feature branch deploys its branch environment; deleting the branch (or closing its
// pull request) deletes it; a push to the default branch deploys to every staging environment,
// then to each production environment (which moves no traffic) and rolls each function out with
// the project's rollout settings, failing the job when a rollout rolls back.
//
// The jobs get the CLI from the FLIGHTDECK_CLI variable (npm install's argument: the package
// tarball's URL or its path in the repository), or find it installed on a self-hosted runner: the
// name `flightdeck` on the npm registry is another project's. They get the provider's credentials
// the way each CI system hands secrets to a job, named as the provider reads them.

import { relative } from 'node:path';
import type { ProjectConfig } from '../config/projectFile';
import { FlightdeckError } from '../errors';
import { selectProvider, type ProviderKind, type ProviderSelection } from '../providers/kinds';
import { planSteps } from '../rollout/plan';
import { normaliseSpec } from '../rollout/spec';

export type CiSystem = 'github' | 'gitlab';
export const CI_SYSTEMS: readonly CiSystem[] = ['github', 'gitlab'];

export const PIPELINE_FILES: Record<CiSystem, string> = {
  github: '.github/workflows/flightdeck.yml',
  gitlab: '.gitlab-ci.yml',
};

/** The {user} of branch environments CI creates, so every job names the same one. */
export const CI_USER = 'ci';

/** The CI variable naming where the jobs install the CLI from. */
export const CLI_VARIABLE = 'FLIGHTDECK_CLI';

interface Plan {
  staging: string[];
  production: string[];
  functions: string[];
  /** ` --config 'sub/flightdeck.yaml'` when the project file is not at the repository's root, ` --provider X` when init was told one. */
  common: string;
  provider: ProviderSelection;
  /** Some function builds its image in the job (`build:`). */
  builds: boolean;
  /** How long the release job's rollouts wait between steps, all told (one function after another, per production environment). */
  rolloutMinutes: number;
}

/** Job time limits of the CI systems, in minutes: GitLab's default, GitHub's maximum for hosted runners. */
const JOB_LIMIT_MINUTES: Record<CiSystem, number> = { gitlab: 60, github: 360 };

/** A CI variable a job needs: `secret` ones are GitHub secrets (masked GitLab variables). */
interface Setting {
  name: string;
  secret: boolean;
  why: string;
}

export interface Pipeline {
  text: string;
  /** What to set in the CI system before the first run, for people. */
  settings: string[];
  /** Things in flightdeck.yaml that will not work on a runner as they are. */
  warnings: string[];
}

export function pipelineFor(system: CiSystem, project: ProjectConfig, repositoryRoot: string, explicitProvider?: ProviderKind): Pipeline {
  const plan = planOf(project, repositoryRoot, explicitProvider);
  const settings = settingsOf(plan);
  const text = system === 'github' ? githubWorkflow(plan, settings) : gitlabPipeline(plan, settings);
  const timeout = releaseTimeout(system, plan);
  const where = system === 'github' ? 'GitHub (Settings → Secrets and variables → Actions)' : 'GitLab (Settings → CI/CD → Variables)';
  return {
    text,
    settings: settings.map((s) => `${s.name} (${s.secret ? 'secret' : 'variable'}${system === 'gitlab' ? gitlabKind(s) : ''}): ${s.why}`).map((line) => `${line} — in ${where}`),
    warnings: [
      ...warningsOf(plan),
      ...(timeout === undefined ? [] : [`The release job's rollouts take about ${Math.round(plan.rolloutMinutes)} min, so its time limit is ${timeout} min${system === 'gitlab' ? ': a runner whose maximum is lower stops it mid-rollout' : ''}${system === 'github' && timeout > JOB_LIMIT_MINUTES.github ? ', more than GitHub-hosted runners allow: shorten the rollouts or use a self-hosted runner' : ''}.`]),
    ],
  };
}

function planOf(project: ProjectConfig, repositoryRoot: string, explicitProvider: ProviderKind | undefined): Plan {
  const production = project.environments.filter((e) => e.kind === 'production').map((e) => e.name);
  if (production.length === 0) {
    throw new FlightdeckError('CONFIG_INVALID',
      `${project.file} declares no production environment for the pipeline to release to: add it under environments:, e.g. production: { kind: production, protected: true }.`,
      { file: project.file, field: 'environments' });
  }
  const file = relative(repositoryRoot, project.file).split('\\').join('/');
  const provider = selectProvider(explicitProvider, project.provider);
  return {
    staging: project.environments.filter((e) => e.kind === 'staging').map((e) => e.name),
    production,
    functions: project.functions.map((f) => f.name),
    common: `${file === 'flightdeck.yaml' ? '' : ` --config ${shellWord(file)}`}${explicitProvider ? ` --provider ${explicitProvider}` : ''}`,
    provider,
    builds: project.functions.some((f) => f.image?.build !== undefined),
    rolloutMinutes: production.length * project.functions.reduce((sum, fn) => {
      const instances = fn.config.instances.min;
      const spec = normaliseSpec({ ...fn.rollout, toVersion: 1 }, { instances });
      return sum + ((planSteps(spec, instances).length - 1) * spec.intervalMs) / 60_000;
    }, 0),
  };
}

/**
 * The release job's time limit: its rollouts' waits and a margin for deploys, when that is more
 * than the CI system gives a job by default (a job killed mid-rollout leaves it running, and every
 * later release is refused until someone ends it).
 */
function releaseTimeout(system: CiSystem, plan: Plan): number | undefined {
  const minutes = Math.ceil(plan.rolloutMinutes + 15);
  return minutes > JOB_LIMIT_MINUTES[system] * 0.8 ? minutes : undefined;
}

function settingsOf(plan: Plan): Setting[] {
  const cli: Setting = { name: CLI_VARIABLE, secret: false, why: 'where the jobs install the Flightdeck CLI from: the URL of its package (flightdeck-<version>.tgz, from `npm run package:cli`), or the path of that file committed in this repository' };
  const { kind, options } = plan.provider;
  if (kind === 'fc3') {
    return [
      cli,
      { name: 'ALIBABA_CLOUD_ACCESS_KEY_ID', secret: true, why: 'the AccessKey of a RAM user allowed to manage Function Compute functions, versions and aliases' },
      { name: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', secret: true, why: 'that AccessKey\'s secret' },
      ...(options.region ? [] : [{ name: 'ALIBABA_CLOUD_REGION_ID', secret: false, why: 'the region, e.g. cn-hangzhou (or set provider.region in flightdeck.yaml)' }]),
      ...(options.accountId ? [] : [{ name: 'ALIBABA_CLOUD_ACCOUNT_ID', secret: false, why: 'the Alibaba Cloud account id (or set provider.accountId in flightdeck.yaml)' }]),
    ];
  }
  if (kind === 'knative') {
    return [cli, { name: 'KUBECONFIG', secret: true, why: 'a kubeconfig (its contents) for a service account that may manage Knative Services in the namespaces of the environments' }];
  }
  return [cli];
}

function warningsOf(plan: Plan): string[] {
  const warnings: string[] = [];
  if (plan.provider.kind === 'knative' && plan.provider.options.kubeconfig) {
    warnings.push(`flightdeck.yaml's provider.kubeconfig (${plan.provider.options.kubeconfig}) wins over $KUBECONFIG, and a runner has no such file: remove it from the provider block, or make the job write that file.`);
  }
  if (plan.builds) warnings.push('Functions with build: run their build command in the release and branch jobs: give those jobs its tools (e.g. ko, docker) and a login to the registry it pushes to.');
  if (plan.provider.kind === 'local') {
    warnings.push('On the local platform each job runs its own platform on the runner, so the environments last only as long as the job; set provider: in flightdeck.yaml for lasting ones.');
  }
  return warnings;
}

/** A word for sh: as it is when it has no special characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A YAML scalar holding `text` exactly: plain when YAML reads it back unchanged, else JSON-quoted (valid YAML). */
function yamlScalar(text: string): string {
  const plain = /^[A-Za-z0-9_.$/(-][^#]*$/.test(text) && !text.includes(': ') && !/[\s:]$/.test(text);
  return plain ? text : JSON.stringify(text);
}

function timeoutLine(system: CiSystem, plan: Plan): string {
  const minutes = releaseTimeout(system, plan);
  if (minutes === undefined) return '';
  return system === 'github' ? `\n    timeout-minutes: ${minutes}` : `\n  timeout: ${minutes} minutes`;
}

function releaseCommands(plan: Plan): string[] {
  return [
    ...plan.staging.map((env) => `flightdeck deploy --env ${env}${plan.common}`),
    // A deploy to production publishes versions but moves no traffic; the rollouts move it.
    ...plan.production.flatMap((env) => [
      `flightdeck deploy --env ${env}${plan.common}`,
      ...plan.functions.map((fn) => `flightdeck rollout start --env ${env} --function ${fn} --version latest --skip-if-live --wait${plan.common}`),
    ]),
  ];
}

function releaseStepName(command: string, plan: Plan): string {
  const env = /--env (\S+)/.exec(command)![1];
  const rollout = /--function (\S+)/.exec(command);
  if (rollout) return `Roll out ${rollout[1]} in ${env}`;
  return plan.production.includes(env) ? `Deploy to ${env} (moves no traffic)` : `Deploy to ${env}`;
}

/** Installs the CLI from $FLIGHTDECK_CLI, or finds it installed; fails saying what to set otherwise. */
// A path is made absolute: npm reads `vendor/flightdeck.tgz` as a GitHub repository.
const INSTALL_CLI = `if [ -f "$${CLI_VARIABLE}" ]; then npm install --global --no-audit --no-fund "$(realpath "$${CLI_VARIABLE}")"; `
  + `elif [ -n "$${CLI_VARIABLE}" ]; then npm install --global --no-audit --no-fund "$${CLI_VARIABLE}"; `
  + `elif ! command -v flightdeck > /dev/null; then echo "Set the ${CLI_VARIABLE} CI variable to the Flightdeck CLI's package (the URL, or the path in this repository, of the .tgz that npm run package:cli makes)."; exit 1; fi`;

function header(system: CiSystem, plan: Plan, settings: Setting[]): string {
  const where = system === 'github'
    ? 'Settings → Secrets and variables → Actions (secrets as secrets, the rest as variables)'
    : 'Settings → CI/CD → Variables, not protected (branch jobs must see them too), secrets masked';
  const triggers = system === 'github'
    ? '# - branch deleted, or its pull request closed: delete that environment'
    : '#   (a GitLab environment whose stop job runs when the branch is deleted or its merge request\n#   merged with the branch removed)';
  return `# Written by \`flightdeck init --ci ${system}\`. It uses only the flightdeck CLI:
# - push to a feature branch: deploy it to its branch environment${system === 'github' ? '; the URLs go to the job summary' : ''}
${triggers}
# - push to the default branch: deploy to ${[...plan.staging, ...plan.production].join(', then ')} and roll each function out in
#   ${plan.production.join(', ')} with the project's rollout settings; the job fails when a rollout rolls back.
# Set in ${where}:
${settings.map((s) => `#   ${s.name}${system === 'gitlab' && s.name === 'KUBECONFIG' ? ' (type File)' : ''}: ${s.why}`).join('\n')}`;
}

/** How a setting is made in GitLab: not protected, or branch jobs do not get it; a multi-line one cannot be masked. */
function gitlabKind(setting: Setting): string {
  if (setting.name === 'KUBECONFIG') return ', of type File, not protected (GitLab cannot mask several lines)';
  return setting.secret ? ', masked, not protected' : ', not protected';
}

function githubWorkflow(plan: Plan, settings: Setting[]): string {
  const env = settings.filter((s) => s.name !== 'KUBECONFIG').map((s) => `  ${s.name}: \${{ ${s.secret ? 'secrets' : 'vars'}.${s.name} }}`);
  const kubeconfig = plan.provider.kind === 'knative' ? `
      - name: Write the kubeconfig
        env:
          KUBECONFIG_CONTENTS: \${{ secrets.KUBECONFIG }}
        run: |
          printf '%s\\n' "$KUBECONFIG_CONTENTS" > "$RUNNER_TEMP/kubeconfig"
          echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"` : '';
  const setup = (checkout = '      - uses: actions/checkout@v4') => `${checkout}
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install the Flightdeck CLI
        run: ${yamlScalar(INSTALL_CLI)}${kubeconfig}`;
  const release = releaseCommands(plan).map((command) => `      - name: ${releaseStepName(command, plan)}
        run: ${yamlScalar(command)}`);
  return `${header('github', plan, settings)}
name: Flightdeck
on:
  push:
    branches: ['**']
  delete:
  pull_request:
    types: [closed]
concurrency:
  # A pull request from a fork gets a group of its own: its branch may share a name with one here (main).
  group: flightdeck-\${{ github.event_name == 'pull_request' && (github.event.pull_request.head.repo.full_name == github.repository && github.head_ref || format('fork-{0}', github.event.number)) || github.event_name == 'delete' && github.event.ref || github.ref_name }}
  cancel-in-progress: false
permissions:
  contents: read
# bash with pipefail: a deploy piped into tee still fails its step.
defaults:
  run:
    shell: bash
env:
${env.join('\n')}
jobs:
  branch-environment:
    name: Deploy the branch environment
    if: github.event_name == 'push' && github.ref_name != github.event.repository.default_branch
    runs-on: ubuntu-latest
    env:
      BRANCH: \${{ github.ref_name }}
    steps:
${setup()}
      - name: Deploy
        run: |
          flightdeck deploy --branch "$BRANCH" --user ${CI_USER}${plan.common} | tee deploy.txt
          { echo "### Environment of \\\`$BRANCH\\\`"; echo; echo '\`\`\`'; cat deploy.txt; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"
  delete-branch-environment:
    name: Delete the branch environment
    if: (github.event_name == 'delete' && github.event.ref_type == 'branch') || (github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository)
    runs-on: ubuntu-latest
    env:
      BRANCH: \${{ github.event_name == 'delete' && github.event.ref || github.head_ref }}
    steps:
      # flightdeck.yaml as the default branch has it: the deleted branch, or a closed pull
      # request's merge commit, may be gone.
${setup(`      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.repository.default_branch }}`)}
      - name: Delete
        run: ${yamlScalar(`flightdeck env delete --branch "$BRANCH" --user ${CI_USER} --missing-ok${plan.common}`)}
  release:
    name: Release to ${plan.production.join(', ')}
    if: github.event_name == 'push' && github.ref_name == github.event.repository.default_branch
    runs-on: ubuntu-latest${timeoutLine('github', plan)}
    steps:
${setup()}
${release.join('\n')}
`;
}

function gitlabPipeline(plan: Plan, settings: Setting[]): string {
  const release = releaseCommands(plan).map((command) => `    - ${yamlScalar(command)}`);
  return `${header('gitlab', plan, settings)}
stages:
  - deploy
  - release
default:
  image: node:20
  before_script:
    - ${yamlScalar(INSTALL_CLI)}
branch-environment:
  stage: deploy
  rules:
    - if: $CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH
  environment:
    name: branch/$CI_COMMIT_REF_SLUG
    on_stop: delete-branch-environment
  script:
    - ${yamlScalar(`flightdeck deploy --branch "$CI_COMMIT_BRANCH" --user ${CI_USER}${plan.common}`)}
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
  # without a checkout, the runner keeps its build folder from job to job). The CLI is installed
  # from there, where a committed package is.
  variables:
    GIT_STRATEGY: none
  before_script: []
  script:
    - rm -rf .flightdeck-default-branch
    - git clone --quiet --depth 1 --branch "$CI_DEFAULT_BRANCH" "$CI_REPOSITORY_URL" .flightdeck-default-branch
    - cd .flightdeck-default-branch
    - ${yamlScalar(INSTALL_CLI)}
    - ${yamlScalar(`flightdeck env delete --branch "$CI_COMMIT_BRANCH" --user ${CI_USER} --missing-ok${plan.common}`)}
release:
  stage: release
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  # A deployment job of a production-tier environment, so GitLab skips an older pipeline's
  # release that would start after a newer one's ("prevent outdated deployment jobs").
  environment:
    name: ${plan.production[0]}
    deployment_tier: production
  resource_group: flightdeck-release${timeoutLine('gitlab', plan)}
  script:
${release.join('\n')}
`;
}
