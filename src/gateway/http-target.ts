/**
 * The request target in origin form (`/path?query`). A server must accept the absolute
 * form too (`http://host/path`, RFC 9112 section 3.2.2), which proxies send; any other
 * target (`*`, garbage) is left as it is and matches no route.
 */
export function originForm(url: string): string {
  if (url.charCodeAt(0) === 47) return url;
  const authority = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!authority) return url;
  const rest = url.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** A URL path segment decoded, or undefined when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
