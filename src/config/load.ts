import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { OrgbridgeError } from '../errors.js';
import { isCustomizationFile, STACKS_DIRECTORY } from './customizations.js';
import type { ResolvedConfig } from './model.js';
import { ACCOUNTS_FILE, analyzeConfig, type ConfigAnalysis, ECR_FILE, parseConfig } from './parse.js';
import { isPolicyFile } from './policies.js';
import type { SourceFile } from './source.js';

/**
 * The thin I/O shell: reads the files of a config repository, then hands them to the pure
 * parser. Nothing else in src/config touches the file system.
 */
export async function readConfigFiles(directory: string): Promise<SourceFile[]> {
  const root = resolve(directory);
  const files: SourceFile[] = [];
  for (const name of [ACCOUNTS_FILE, ECR_FILE]) {
    const text = await readOptional(join(root, name));
    if (text !== undefined) files.push({ path: name, text });
  }
  if (!files.some((f) => f.path === ACCOUNTS_FILE)) {
    throw new OrgbridgeError('DSL_MISSING_FILE', `no ${ACCOUNTS_FILE} in ${root}`, {
      hint: 'run orgbridge in your config repository or pass -c <dir>; examples/ has a complete one',
    });
  }
  for (const path of await listFiles(join(root, 'policies'))) {
    const relativePath = relative(root, path).split(sep).join('/');
    if (isPolicyFile(relativePath)) files.push({ path: relativePath, text: await readFile(path, 'utf8') });
  }
  for (const path of await listFiles(join(root, STACKS_DIRECTORY))) {
    const relativePath = relative(root, path).split(sep).join('/');
    if (isCustomizationFile(relativePath))
      files.push({ path: relativePath, text: await readFile(path, 'utf8') });
  }
  return files;
}

/** Loads, validates and resolves a config repository; throws ValidationFailed with every error. */
export async function loadConfig(directory: string): Promise<ResolvedConfig> {
  return parseConfig(await readConfigFiles(directory), { directory: resolve(directory) });
}

/** Like loadConfig but returns the errors instead of throwing them. */
export async function analyzeConfigDirectory(directory: string): Promise<ConfigAnalysis> {
  return analyzeConfig(await readConfigFiles(directory), { directory: resolve(directory) });
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OrgbridgeError('DSL_READ_FAILED', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function listFiles(directory: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new OrgbridgeError('DSL_READ_FAILED', `cannot read ${directory}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
