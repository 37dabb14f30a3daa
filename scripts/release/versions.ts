/**
 * Where the release version is written down besides package.json: the CHANGELOG's newest dated
 * section and the README's `VERSION=` line. The binary itself takes it from package.json
 * (src/lib/version.ts: --version, the User-Agent, build_info, the checkpoint); these two are
 * prose a person edits, so release:check and tests/system/release/version.test.ts compare them.
 */

/** The newest released section of a Keep-a-Changelog file: `## [0.2.0] - 2026-12-02`. */
export interface ChangelogRelease {
  readonly version: string;
  readonly date: string;
}

/** Returns the first `## [x.y.z] - YYYY-MM-DD` heading (Unreleased is skipped), or undefined. */
export function findNewestRelease(changelog: string): ChangelogRelease | undefined {
  const match = /^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\] - (\d{4}-\d{2}-\d{2})\s*$/m.exec(changelog);
  return match?.[1] && match[2] ? { version: match[1], date: match[2] } : undefined;
}

/** Every `VERSION=…` assignment of the README's shell examples. */
function findReadmeVersions(readme: string): string[] {
  return [...readme.matchAll(/^VERSION=([^\s#]+)/gm)].map((m) => m[1] ?? "");
}

/** One line per place that disagrees with package.json's version; empty when all agree. */
export function compareVersions(packageVersion: string, changelog: string, readme: string): string[] {
  const problems: string[] = [];
  const release = findNewestRelease(changelog);
  if (!release) problems.push("CHANGELOG.md has no dated section '## [x.y.z] - YYYY-MM-DD'");
  else if (release.version !== packageVersion) problems.push(`CHANGELOG.md's newest section is ${release.version}, package.json says ${packageVersion}`);
  if (release && !changelog.includes(`\n[${release.version}]: `)) problems.push(`CHANGELOG.md has no link '[${release.version}]: …' under its sections`);
  const readmeVersions = findReadmeVersions(readme);
  if (readmeVersions.length === 0) problems.push("README.md has no 'VERSION=' line in its Install section");
  for (const v of readmeVersions) if (v !== packageVersion) problems.push(`README.md installs VERSION=${v}, package.json says ${packageVersion}`);
  return problems;
}

/** Reads the three files of a checkout and compares them. */
export async function checkVersions(root: string): Promise<{ version: string; problems: string[] }> {
  const pkg = (await Bun.file(`${root}/package.json`).json()) as { version: string };
  const [changelog, readme] = await Promise.all([Bun.file(`${root}/CHANGELOG.md`).text(), Bun.file(`${root}/README.md`).text()]);
  return { version: pkg.version, problems: compareVersions(pkg.version, changelog, readme) };
}
