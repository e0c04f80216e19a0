/**
 * The AWS SDK for JavaScript v3 warns on Node.js before 22 with a seven-line NodeVersionSupportWarning at the
 * first client it makes: its releases after the first week of January 2027 require Node.js 22. Node.js 20 is
 * still supported here until then (README, "Node.js versions"), so bin/plamo.cjs turns the warning off with the
 * SDK's own switch and a command that talks to AWS says it in one line.
 */
export const SDK_NODE_MAJOR = 22;

/** The one line, or undefined on a Node.js the AWS SDK keeps supporting. */
export function nodeSupportNote(version: string = process.version): string | undefined {
  const major = Number(version.slice(1).split('.')[0]);
  if (major >= SDK_NODE_MAJOR) return undefined;
  return `note: Node.js ${version} works, but AWS SDK releases after the first week of January 2027 need Node.js ${SDK_NODE_MAJOR}; upgrade to Node.js ${SDK_NODE_MAJOR} LTS`;
}

/** Prints the note once per run, before the first AWS call. */
export function noteNodeSupport(): void {
  const note = nodeSupportNote();
  if (note && !noted) console.error(note);
  noted = true;
}
let noted = false;
