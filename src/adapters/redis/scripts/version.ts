/**
 * Lua: `versionOf(json)`, the version digits a stored definition carries (`~v<version>...`,
 * job-codec.ts), or nil for a definition stored before the version moved in: that one's version
 * is still in the `ver` hash until the job is next updated.
 */
export const LUA_VERSION_OF = `local function versionOf(json)
  return string.match(json, '^~v(%d+)')
end
`;
