// The address of the widget's frame document (`GET /embed?...`) exactly as the host
// page's script asks for it, for `cargo xtask bench` (the `sizes` and `http` parts
// fetch and load that very document). The first argument is a JSON object:
//   {"page": url}
// It loads the page, waits for the frame's plans, and prints {"frame_url": url}. Any
// error in the page (a refused frame, a CSP violation) fails it.
import { launch } from './browser.mjs';

const args = JSON.parse(process.argv[2]);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  const documents = [];
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() !== page.mainFrame()) documents.push(r);
  });
  await page.goto(args.page);
  await page.frameLocator('simology-esim iframe').locator('.plan-card .plan-price').first().waitFor({ timeout: 30000 });
  const src = await page.locator('simology-esim iframe').getAttribute('src');
  const answered = documents.find((r) => r.url() === src);
  if (!answered || answered.status() !== 200) {
    throw new Error(`the frame's document ${src} was not answered 200: ${answered ? answered.status() : 'not seen'}`);
  }
  if (problems.length > 0) throw new Error(`errors in the page: ${problems.join('; ')}`);
  console.log(JSON.stringify({ frame_url: src }));
  await context.close();
} finally {
  await browser.close();
}
