import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { compareByLocation, OrgbridgeError, ValidationFailed } from '../errors.js';
import { isCustomizationFile, STACKS_DIRECTORY } from './customizations.js';
import type { ResolvedConfig } from './model.js';
import { ACCOUNTS_FILE, analyzeConfig, type ConfigAnalysis, ECR_FILE } from './parse.js';
import { isPolicyFile } from './policies.js';
import { SCP_TESTS_FILE } from './scp-tests.js';
import type { SourceFile } from './source.js';

/**
 * The thin I/O shell: reads the files of a config repository, then hands them to the pure
 * parser. Nothing else in src/config touches the file system.
 */
/** The files of a config directory, and the files under policies/ that orgbridge does not read. */
interface ConfigDirectory {
  readonly files: SourceFile[];
  /** One error per file under policies/ that is neither a policy nor scp-tests.yml: nothing is ignored silently. */
  readonly unread: OrgbridgeError[];
}

/** `accounts.yaml` is the likeliest other spelling: named in the error rather than "no accounts.yml". */
const ACCOUNTS_FILE_VARIANTS = ['accounts.yaml', 'Accounts.yml', 'accounts.YML'];
/**
 * The same for ecr.yml, which may be absent: read as "no repositories", an `ecr.yaml` would have
 * the next sync-ecr delete every repository it describes.
 */
const ECR_FILE_VARIANTS = ['ecr.yaml', 'ECR.yml', 'Ecr.yml', 'ecr.YML', 'ECR.yaml'];

async function readConfigDirectory(directory: string): Promise<ConfigDirectory> {
  const root = resolve(directory);
  const files: SourceFile[] = [];
  for (const name of [ACCOUNTS_FILE, ECR_FILE]) {
    const text = await readOptional(join(root, name));
    if (text !== undefined) files.push({ path: name, text });
  }
  if (!files.some((f) => f.path === ACCOUNTS_FILE)) throw await missingAccountsFile(root);
  const unread: OrgbridgeError[] = [];
  if (!files.some((f) => f.path === ECR_FILE)) unread.push(...(await misspelledEcrFile(root)));
  const inRepository = (path: string) => relative(root, path).split(sep).join('/');
  // A linked folder is refused as a linked file is, and nothing under it is read.
  const folder = async (name: string) => {
    if (!(await isLink(join(root, name)))) return listFiles(join(root, name));
    unread.push(linkNotRead(name));
    return { files: [], links: [] };
  };
  const policies = await folder('policies');
  for (const path of policies.files) {
    const relativePath = inRepository(path);
    if (isPolicyFile(relativePath))
      files.push({ path: relativePath, text: withoutBom(await readFile(path, 'utf8')) });
    else if (relativePath !== SCP_TESTS_FILE) unread.push(unreadPolicyFile(relativePath));
  }
  const stacks = await folder(STACKS_DIRECTORY);
  for (const path of stacks.files) {
    const relativePath = inRepository(path);
    if (isCustomizationFile(relativePath))
      files.push({ path: relativePath, text: await readFile(path, 'utf8') });
  }
  for (const link of [...policies.links, ...stacks.links]) unread.push(linkNotRead(inRepository(link)));
  return { files, unread };
}

/**
 * Some Windows editors start a UTF-8 file with a byte order mark, which JSON does not allow
 * (JSON.parse fails on an invisible character) and YAML skips. A policy is read without it, as a
 * space, so every offset in the file (error positions) stays where the editor shows it.
 */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
}

/**
 * A symbolic link under policies/ or stacks/ is refused, not followed: a pull request shows the
 * link's target path, never the policy or template it would apply, and the target may lie
 * outside the repository (or loop back into it).
 */
function linkNotRead(path: string): OrgbridgeError {
  return new OrgbridgeError(
    'DSL_FILE_IS_LINK',
    `${path} is a symbolic link: orgbridge does not follow links`,
    {
      location: { file: path, line: 1, column: 1 },
      hint: 'put the file (or folder) itself there, so the pull request shows what will be applied',
    },
  );
}

/** The first of `variants` (other spellings of a file's name) present in `root`. */
async function presentVariant(root: string, variants: readonly string[]): Promise<string | undefined> {
  for (const variant of variants) if ((await readOptional(join(root, variant))) !== undefined) return variant;
  return undefined;
}

async function missingAccountsFile(root: string): Promise<OrgbridgeError> {
  const variant = await presentVariant(root, ACCOUNTS_FILE_VARIANTS);
  if (variant) {
    return new OrgbridgeError('DSL_MISSING_FILE', `no ${ACCOUNTS_FILE} in ${root}, but there is ${variant}`, {
      location: { file: variant, line: 1, column: 1 },
      hint: `rename ${variant} to ${ACCOUNTS_FILE}: orgbridge reads that one name only`,
    });
  }
  return new OrgbridgeError('DSL_MISSING_FILE', `no ${ACCOUNTS_FILE} in ${root}`, {
    hint: 'run orgbridge in your config repository or pass -c <dir>; `orgbridge init <dir>` writes one, examples/ has a complete one',
  });
}

async function misspelledEcrFile(root: string): Promise<OrgbridgeError[]> {
  const variant = await presentVariant(root, ECR_FILE_VARIANTS);
  if (!variant) return [];
  return [
    new OrgbridgeError(
      'DSL_MISSING_FILE',
      `${variant} is not read: the ECR repositories are in ${ECR_FILE}`,
      {
        location: { file: variant, line: 1, column: 1 },
        hint: `rename ${variant} to ${ECR_FILE}: orgbridge reads that one name only, and without it sync-ecr would delete every repository it manages`,
      },
    ),
  ];
}

async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

function unreadPolicyFile(path: string): OrgbridgeError {
  const lower = path.toLowerCase();
  const hint = lower.endsWith('.json')
    ? `rename it to ${path.slice(0, -'.json'.length)}.json: policy files end in lowercase .json`
    : /\.ya?ml$/.test(lower)
      ? 'policies are JSON documents, as AWS stores them: convert it to .json, or move it out of policies/'
      : 'move it out of policies/ (a backup or editor file?) or give a policy the .json extension';
  return new OrgbridgeError(
    'DSL_POLICY_FILE_NOT_READ',
    `${path} is not read: only .json files under policies/ (and ${SCP_TESTS_FILE}) are`,
    { location: { file: path, line: 1, column: 1 }, hint },
  );
}

/** Loads, validates and resolves a config repository; throws ValidationFailed with every error. */
export async function loadConfig(directory: string): Promise<ResolvedConfig> {
  const result = await analyzeConfigDirectory(directory);
  if (!result.ok) throw new ValidationFailed(result.errors);
  return result.config;
}

/** Like loadConfig but returns the errors instead of throwing them. */
export async function analyzeConfigDirectory(directory: string): Promise<ConfigAnalysis> {
  const { files, unread } = await readConfigDirectory(directory);
  const result = analyzeConfig(files, { directory: resolve(directory) });
  if (unread.length === 0) return result;
  const errors = [...(result.ok ? [] : result.errors), ...unread].sort(compareByLocation);
  return { ok: false, errors };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OrgbridgeError('DSL_READ_FAILED', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
      // `-c accounts.yml`: the directory part of the path is a file.
      ...((e as NodeJS.ErrnoException).code === 'ENOTDIR'
        ? { hint: `-c takes the config repository's directory, e.g. -c ${dirname(dirname(path))}` }
        : {}),
    });
  }
}

/** The regular files under `directory` (sorted, recursive), and the symbolic links met there. */
async function listFiles(directory: string): Promise<{ files: string[]; links: string[] }> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], links: [] };
    throw new OrgbridgeError('DSL_READ_FAILED', `cannot read ${directory}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const files: string[] = [];
  const links: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      const below = await listFiles(path);
      files.push(...below.files);
      links.push(...below.links);
    } else if (entry.isFile()) files.push(path);
    else if (entry.isSymbolicLink()) links.push(path);
  }
  return { files, links };
}
