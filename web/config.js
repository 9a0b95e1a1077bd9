// Build-time settings of the site. scripts/build-site.mjs rewrites this file
// in build/site/ from the environment: FTCONFIG_COLLECTOR_URL (a self-hosted
// `ftconfig collect`, offered for opt-in uploads of the local log).
export const CONFIG = { collectorUrl: '' };
