// Drives one page in Debian's headless Chromium for the Python tests (playwright-core, the
// system browser, a fresh profile). Commands come on stdin, one per line; results go to stdout:
//
//   GOTO <url>          load a page                       -> "LOADED"
//   CLICK <selector>    click an element                  -> "CLICKED"
//   FILL <selector> <text>                                -> "FILLED"
//   EVAL <js>           evaluate an expression, print JSON -> "EVAL <json>"
//   WAIT <js> <ms>      wait until the expression is true -> "WAITED" or "TIMEOUT"
//   SHOT <path>         screenshot                        -> "SHOT"
//   EXIT                close the browser and exit
//
// Every alert() the page raises is printed as "ALERT <json>" and dismissed.
const { chromium } = require('playwright-core');
const readline = require('readline');
const fs = require('fs');
const os = require('os');
const path = require('path');

function out(line) { process.stdout.write(line + '\n'); }

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'omnisock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('dialog', async (d) => { out('ALERT ' + JSON.stringify(d.message())); await d.dismiss().catch(() => {}); });
  page.on('console', (m) => out('CONSOLE ' + JSON.stringify(m.text())));
  out('READY');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const sp = line.indexOf(' ');
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? '' : line.slice(sp + 1);
    try {
      if (cmd === 'GOTO') { await page.goto(arg, { timeout: 30000 }); out('LOADED'); }
      else if (cmd === 'CLICK') { await page.click(arg, { timeout: 10000 }); out('CLICKED'); }
      else if (cmd === 'FILL') {
        const i = arg.indexOf(' ');
        await page.fill(arg.slice(0, i), arg.slice(i + 1), { timeout: 10000 }); out('FILLED');
      }
      else if (cmd === 'EVAL') { out('EVAL ' + JSON.stringify(await page.evaluate(arg))); }
      else if (cmd === 'WAIT') {
        const i = arg.lastIndexOf(' ');
        try { await page.waitForFunction(arg.slice(0, i), null, { timeout: Number(arg.slice(i + 1)) }); out('WAITED'); }
        catch (e) { out('TIMEOUT'); }
      }
      else if (cmd === 'SHOT') { await page.screenshot({ path: arg }); out('SHOT'); }
      else if (cmd === 'EXIT') break;
      else out('ERROR unknown command ' + cmd);
    } catch (e) { out('ERROR ' + JSON.stringify(String(e && e.message || e))); }
  }
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => { out('FATAL ' + String(e && e.stack || e)); process.exit(1); });
