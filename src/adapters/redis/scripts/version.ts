/**
 * Lua: `versionOf(json)`, the version written in front of a stored definition
 * ("<version><definition>", job-codec.ts), or nil for a definition stored before the version
 * moved there: that one's version is still in the `ver` hash until the job is next updated.
 */
export const LUA_VERSION_OF = `local function versionOf(json)
  return string.match(json, '^%d+')
end
`;
