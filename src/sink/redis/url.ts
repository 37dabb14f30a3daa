/** Shows a Redis URL without its password, for logs and errors. */
export function formatRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    // ioredis also takes a password from the query (`?password=`).
    for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, "***");
    return url.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}
