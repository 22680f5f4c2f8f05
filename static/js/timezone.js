// Tell Kite the browser's time zone (kite.middleware.TimezoneMiddleware), so the pages show times in it; the
// next page shows them so, and every page after. Without JavaScript times stay in UTC, and say so.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const current = document.cookie.split("; ").find((c) => c.startsWith("kite_tz="));
if (zone && current !== `kite_tz=${zone}`) {
  document.cookie = `kite_tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
}
