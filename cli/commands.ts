// Every command's name, arguments, options and example: the help text and the shell
// completions are both made from these declarations. Each action lives in commands/*.ts and
// is imported only when its command runs.

import type { CAC, Command } from 'cac';
import type { Loader } from './action.ts';

type Bind = (command: Command, load: Loader) => void;

const wait = (c: Command) =>
  c.option('--no-wait', 'Return once the change is committed; do not wait for the outcome')
    .option('--timeout <duration>', 'How long to wait for the outcome, e.g. 90s, 10m', { default: '10m' });

export function declareCommands(cli: CAC, bind: Bind): void {
  const auth = () => import('./commands/auth.ts');
  const offline = () => import('./commands/offline.ts');
  const app = () => import('./commands/app.ts');
  const changes = () => import('./commands/changes.ts');

  bind(cli.command('login', 'Log in to a Loco API (GitHub device flow when offered, else a token or an invitation code)')
    .option('--invite <code>', 'Redeem the invitation code a workspace admin gave you for your first token')
    .example('  $ loco login --api https://loco.example.com --token "$(cat .loco/admin-token)"')
    .example('  $ loco login --api https://loco.example.com --invite loco_inv_…'),
  async () => (await auth()).login);
  bind(cli.command('logout', 'Forget the saved token for the API').example('  $ loco logout'), async () => (await auth()).logout);
  bind(cli.command('whoami', 'Show the logged-in user, their workspaces and the current one').example('  $ loco whoami -o json'), async () => (await auth()).whoami);
  bind(cli.command('use <workspace>', 'Pick the workspace (<org>/<workspace>) for later commands').example('  $ loco use acme/shop'), async () => (await auth()).use);

  bind(cli.command('init [dir]', 'Write a starter loco.toml in the folder (default: here)')
    .option('--minimal', 'Only the required keys')
    .option('--name <app>', 'App name (default: the folder name)')
    .option('--image <ref>', 'Deploy this prebuilt image (default: build ./Dockerfile)')
    .option('--force', 'Overwrite an existing loco.toml')
    .example('  $ loco init --minimal --image ghcr.io/acme/api:1.0.0'),
  async () => (await offline()).init);
  bind(cli.command('validate [path]', 'Check a loco.toml (file or folder; default: found upward) and list every problem')
    .option('--strict', 'Fail (exit 2) on warnings too, e.g. keys a ConfigVersion "0.1" file carries that Loco ignores')
    .example('  $ loco validate examples/web-basic')
    .example('  $ loco validate --strict examples/loco01-annotated'),
  async () => (await offline()).validate);
  bind(cli.command('render [path]', 'Render the Kustomize tree offline: every profile, or --profile')
    .option('--profile <profile>', 'Render only this profile')
    .option('--out <dir>', 'Write the files under DIR instead of printing a YAML stream')
    .option('--image <ref>', 'Image to render with (default: the config\'s image, else <app>:dev)')
    .example('  $ loco render examples/autoscaled-shop --profile prod --out /tmp/tree'),
  async () => (await offline()).render);
  bind(cli.command('config <action> [path]', 'loco.toml tools: config upgrade [path] rewrites a ConfigVersion "0.1" file in the current format (prints the diff)')
    .option('--write', 'Replace the file with the upgraded one')
    .example('  $ loco config upgrade examples/loco01-annotated')
    .example('  $ loco config upgrade --write'),
  async () => (await offline()).config);

  bind(wait(cli.command('deploy', 'Deploy the app of the nearest loco.toml and wait for the outcome')
    .option('--profile <profile>', 'Profile to deploy (required when the file has several)')
    .option('--image <ref>', 'Prebuilt image to deploy (else build, push to the workspace\'s repository and deploy that)')
    .option('--builder <name>', 'Build with podman, buildah or docker (default: LOCO_BUILDER, else the first on PATH)')
    .option('--config <file>', 'loco.toml to use (default: found from here upward)')
    .option('--confirm-prune', 'Deploy even when the change would make Argo CD prune a lot of resources')
    .option('--force', 'The same as --confirm-prune'))
    .example('  $ loco deploy --profile dev --image registry.example.com/acme/api:1.4.2')
    .example('  $ loco deploy --profile dev --builder buildah    # builds ./Dockerfile, pushes <registry>/<org>/<workspace>/<app>:<sha>-<rand>')
    .example('  $ LOCO_TOKEN=$DEPLOY_TOKEN loco deploy --profile dev --non-interactive --timeout 5m'),
  async () => (await import('./commands/deploy.ts')).deploy);

  bind(cli.command('status [app]', 'Sync and health of an app in a profile, and its latest deployment')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('--config <file>', 'loco.toml naming the app')
    .example('  $ loco status api --profile prod'),
  async () => (await app()).status);
  bind(cli.command('logs [app]', 'Recent log lines of an app')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('-f, --follow', 'Keep printing new lines')
    .option('--tail <n>', 'Lines to show', { default: 100 })
    .option('--since <duration>', 'Only lines newer than this, e.g. 10m')
    .option('--config <file>', 'loco.toml naming the app')
    .example('  $ loco logs api --profile dev --since 5m'),
  async () => (await app()).logs);
  bind(cli.command('events <deployment>', 'Events of one deployment (follows it while it runs)')
    .option('--no-follow', 'Print what happened so far and stop')
    .example('  $ loco events dpl_01JD3X'),
  async () => (await app()).events);
  bind(cli.command('history [app]', 'Who changed what, when, and how it ended')
    .option('--profile <profile>', 'Only this profile')
    .option('--actor <actor>', 'Only changes by this actor')
    .option('--since <when>', 'Only after this time (ISO date or duration like 7d)')
    .option('--until <when>', 'Only before this time')
    .option('--limit <n>', 'At most N entries', { default: 50 })
    .example('  $ loco history api --profile prod -o json'),
  async () => (await app()).history);
  bind(cli.command('apps', 'Apps of the workspace').example('  $ loco apps'), async () => (await app()).apps);
  bind(cli.command('open [app]', 'Open the app\'s URL in a browser (or print it)')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('--docs', 'Open the API documentation instead')
    .option('--dashboard', 'Open the Argo CD dashboard of the app instead')
    .option('--config <file>', 'loco.toml naming the app')
    .example('  $ loco open api --profile prod'),
  async () => (await app()).open);

  bind(wait(cli.command('rollback <deployment>', 'Restore the files, config and image of an earlier deployment (a commit, or a PR on a protected profile)')
    .option('--emergency', 'Skip review on a protected profile, if the workspace allows it (recorded)')
    .option('--force', 'Confirm a rollback that prunes a lot of resources'))
    .example('  $ loco rollback dpl_01JD3X'),
  async () => (await changes()).rollback);
  bind(wait(cli.command('scale [app]', 'Change replicas, CPU or memory of an app in a profile (a commit; no rebuild)')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('--replicas <n>', 'Number of replicas')
    .option('--cpu <cpu>', 'CPU, e.g. 500m')
    .option('--memory <memory>', 'Memory, e.g. 512Mi')
    .option('--config <file>', 'loco.toml naming the app'))
    .example('  $ loco scale api --profile dev --replicas 3'),
  async () => (await changes()).scale);
  bind(wait(cli.command('env <action> [...vars]', 'Environment variables: env list | env set K=V… | env unset K…')
    .option('--app <app>', 'App (default: from loco.toml)')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('--config <file>', 'loco.toml naming the app'))
    .example('  $ loco env set LOG_LEVEL=debug FEATURE_X=on --profile dev')
    .example('  $ loco env unset FEATURE_X --profile dev'),
  async () => (await changes()).env);
  bind(wait(cli.command('secrets <action> [...vars]', 'Sealed secrets, sealed on this machine: secrets list | secrets set NAME=VALUE… | secrets set NAME --from-stdin | secrets unset NAME…')
    .option('--app <app>', 'App (default: from loco.toml)')
    .option('--profile <profile>', 'Profile (default: the only one, or dev)')
    .option('--from-stdin', 'secrets set NAME: read the value from standard input (keeps it out of shell history)')
    .option('--from-file <name=path>', 'secrets set: read NAME\'s value from a file, byte for byte (repeatable)')
    .option('--config <file>', 'loco.toml naming the app'))
    .example('  $ loco secrets set --from-file TLS_KEY=./key.pem --app api --profile dev')
    .example('  $ printf %s "$DB_PASSWORD" | loco secrets set DB_PASSWORD --from-stdin --profile dev')
    .example('  $ loco secrets list --profile dev'),
  async () => (await import('./commands/secrets.ts')).secrets);
  bind(cli.command('destroy [app]', 'Remove an app (every profile) from the workspace')
    .option('--yes', 'Do not ask for confirmation')
    .option('--config <file>', 'loco.toml naming the app')
    .example('  $ loco destroy api --yes'),
  async () => (await changes()).destroy);

  bind(wait(cli.command('promote [app] [id] [profile]', 'Promote a release by pull request: promote <app> --from dev --to prod | list | show | approve | merge | close <id> | rules get | rules set <profile> --approvals N')
    .option('--from <profile>', 'Source profile (its latest succeeded release)')
    .option('--deployment <id>', 'Promote this release of the source profile instead of the latest')
    .option('--status <status>', 'promote list: only open, approved, merged, closed or superseded')
    .option('--to <profile>', 'Target profile')
    .option('--config <file>', 'loco.toml naming the app')
    .option('--approvals <n>', 'promote rules set <profile>: approvals a change to it needs before a merge (0 = none)')
    .option('--emergency-rollback <on|off>', 'promote rules set: whether loco rollback --emergency may skip review'))
    .example('  $ loco promote api --from dev --to prod')
    .example('  $ loco promote list')
    .example('  $ loco promote rules set prod --approvals 2')
    .example('  $ loco promote approve prm_01JD3X && loco promote merge prm_01JD3X'),
  async () => (await import('./commands/promote.ts')).promote);

  bind(cli.command('workspace [action] [name]', 'Workspaces: workspace list | workspace create <org>/<name> (org admins) | workspace delete <org>/<name> (workspace admins)')
    .option('--yes', 'delete: do not ask for confirmation')
    .example('  $ loco workspace list')
    .example('  $ loco workspace create acme/shop')
    .example('  $ loco workspace delete acme/shop --yes'),
  async () => (await import('./commands/workspace.ts')).workspace);

  bind(cli.command('audit [action]', 'Check that the workspace\'s git history holds up as an audit trail: audit verify (exit 1 on findings)')
    .example('  $ loco audit verify -o json'),
  async () => (await import('./commands/audit.ts')).audit);

  bind(cli.command('images [action]', "The workspace's images in the registry: images prune deletes those no recent release references (dry run unless --yes)")
    .option('--keep <n>', 'Releases kept per app/profile beyond the deployed one', { default: 2 })
    .option('--yes', 'Delete for real (workspace admins)')
    .example('  $ loco images prune            # lists what would go')
    .example('  $ loco images prune --keep 3 --yes'),
  async () => (await import('./commands/images.ts')).images);

  bind(cli.command('stats', 'DORA figures of the workspace per app and profile: deployment frequency, lead time, change failure rate, time to restore')
    .option('--since <window>', 'How far back: 12h, 30d, 2w or a date', { default: '30d' })
    .example('  $ loco stats --since 30d -o json'),
  async () => (await import('./commands/stats.ts')).stats);

  bind(cli.command('domains [action] [domain]', "Custom domains of the workspace: domains | domains add <domain> (prints the DNS TXT record) | domains verify <domain> | domains remove <domain>")
    .example('  $ loco domains add shop.example.com')
    .example('  $ loco domains verify shop.example.com'),
  async () => (await import('./commands/domains.ts')).domains);

  bind(cli.command('members [action] [user]', 'Members of the workspace and their roles: members | members add <user> --role R | members invite <user> | members remove <user>')
    .option('--role <role>', 'members add/invite: admin, deploy (deployer; a new member\'s default) or read (viewer)')
    .option('--expires <duration>', 'members invite: how long the invitation code works, e.g. 2d (default 7d)')
    .example('  $ loco members')
    .example('  $ loco members add rosa --role deploy    # prints rosa\'s invitation code when she has no token yet')
    .example('  $ loco members invite rosa --expires 2d'),
  async () => (await import('./commands/members.ts')).members);

  bind(cli.command('tokens [action] [name]', 'API tokens: tokens list | tokens create [name] [--expires 30d] | tokens create --deploy --app A --profile P | tokens revoke <id|name>')
    .option('--deploy', 'create: a deploy token for CI that can only deploy --app in --profile')
    .option('--app <app>', 'create --deploy: the app (default: from loco.toml)')
    .option('--profile <profile>', 'create --deploy: the profile')
    .option('--expires <duration>', 'create: lifetime, e.g. 30d or 15m (personal default 90d, deploy default 5m)')
    .option('--config <file>', 'loco.toml naming the app')
    .example('  $ loco tokens create laptop --expires 30d')
    .example('  $ LOCO_TOKEN=$(loco tokens create --deploy --app web --profile dev) loco deploy --profile dev --non-interactive')
    .example('  $ loco tokens revoke laptop'),
  async () => (await import('./commands/tokens.ts')).tokens);

  bind(cli.command('completion <shell>', 'Print a completion script for bash, zsh or fish')
    .example('  $ loco completion bash > ~/.local/share/bash-completion/completions/loco')
    .example('  $ loco completion zsh > "${fpath[1]}/_loco"     # or: source <(loco completion zsh) after compinit')
    .example('  $ loco completion fish > ~/.config/fish/completions/loco.fish'),
  async () => (await import('./commands/completion.ts')).completion);
}
