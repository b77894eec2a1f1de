// Where the client's own files are served from: `/app/v-<version>`, written into the page by the server.
// Files named from here are cached for good, and it holds whether the code runs as modules or bundled
// (a path relative to `import.meta.url` would not).

export function assetUrl(path) {
  const base = document.querySelector('meta[name="plaza-assets"]')?.getAttribute('content') ?? '/app';
  return `${base}/${path.replace(/^\/+/, '')}`;
}
