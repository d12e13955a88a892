#!/usr/bin/env node
/**
 * Checks the licenses of the production dependency closure (what the function
 * bundle and the extension layer may ship) against an allow-list of permissive
 * licenses. Development tools are not checked: they never reach a deployment.
 *
 * The closure comes from `npm ls --omit=dev --all --parseable` (the installed
 * tree, as npm resolved it); each package's own package.json names its license.
 * Exits 1 naming every package whose license is missing or not allowed.
 *
 * Usage: node scripts/check-licenses.mjs   (npm run licenses)
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Permissive licenses whose only duty is keeping the notice; none of them
 * places conditions on the project's own code.
 */
const ALLOWED = new Set([
  '0BSD',
  'Apache-2.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'ISC',
  'MIT',
  'MIT-0',
  'Python-2.0',
  'Unlicense',
]);

/**
 * Whether an SPDX expression is satisfiable with allowed licenses: one
 * `OR` alternative whose `AND` terms are all allowed. `WITH` exceptions only
 * add permissions, so the base license decides.
 */
export function isAllowedExpression(expression) {
  const alternatives = expression.replace(/[()]/g, ' ').split(/\s+OR\s+/i);
  return alternatives.some((alternative) =>
    alternative
      .split(/\s+AND\s+/i)
      .map((term) =>
        term
          .trim()
          .split(/\s+WITH\s+/i)[0]
          .replace(/\+$/, ''),
      )
      .every((term) => ALLOWED.has(term)),
  );
}

/** The SPDX expression of a package.json, including the deprecated `licenses` array form. */
function licenseOf(manifest) {
  const { license, licenses } = manifest;
  if (typeof license === 'string') return license;
  if (license && typeof license.type === 'string') return license.type;
  if (Array.isArray(licenses) && licenses.length > 0) {
    return licenses.map((entry) => (typeof entry === 'string' ? entry : entry?.type)).join(' OR ');
  }
  return undefined;
}

async function productionPackageDirectories(root) {
  const { stdout } = await promisify(execFile)('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error) => {
    // npm ls exits 1 on an incomplete tree but still prints what it found; a tree it
    // cannot read at all leaves stdout empty and fails below.
    if (typeof error.stdout === 'string' && error.stdout.length > 0) return error;
    throw error;
  });
  const directories = stdout.split('\n').filter(Boolean);
  return directories.filter((directory) => path.resolve(directory) !== path.resolve(root));
}

async function main() {
  const root = process.cwd();
  let directories;
  try {
    directories = await productionPackageDirectories(root);
  } catch (error) {
    console.error(`licenses: cannot list the production dependencies (${error.message}); run npm ci first`);
    process.exit(2);
  }
  const refused = [];
  const counts = new Map();
  for (const directory of directories) {
    const manifest = JSON.parse(await readFile(path.join(directory, 'package.json'), 'utf8'));
    const license = licenseOf(manifest);
    const name = `${manifest.name}@${manifest.version}`;
    if (!license) refused.push(`${name}: no license declared`);
    else if (!isAllowedExpression(license)) refused.push(`${name}: ${license}`);
    else counts.set(license, (counts.get(license) ?? 0) + 1);
  }
  if (refused.length > 0) {
    console.error(
      `licenses: ${refused.length} production dependencies have a license outside the allow-list ` +
        `(${[...ALLOWED].join(', ')}):`,
    );
    for (const line of refused) console.error(`  ${line}`);
    process.exit(1);
  }
  const summary = [...counts].map(([license, count]) => `${license} ${count}`).join(', ');
  console.log(`licenses: ${directories.length} production packages, all allowed (${summary})`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
