/**
 * The UI's own name for a game type it knows (`game.{type}`, in the UI's language), else the
 * name the server gave (a type added on the server before the UI knew it). Game names are the
 * UI's words, as the server's registry names them in English only.
 */
export function gameNameIn(t: (key: string) => string, gameType: string, serverName: string): string {
  const key = `game.${gameType}`;
  const own = t(key);
  return own !== key ? own : serverName;
}
