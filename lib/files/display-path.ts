import { isAbsolute, relative } from 'node:path';

/** A path as the user would type it from here: relative inside the current folder, absolute outside it. */
export function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  if (fromHere === '') return '.';
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? path : fromHere;
}
