import type { Page } from 'puppeteer-core';

/** A person at the web chat (Hydrogen in Chromium), driven through the page as they would use it. */

export async function logInToWebChat(page: Page, baseUrl: string, user: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#username', { timeout: 30_000 });
  await page.type('#username', user);
  await page.type('#password', password);
  await page.click('.PasswordLoginView button[type=submit]');
  // The room list is there once the first sync finished.
  await page.waitForSelector('.SessionView .RoomList', { timeout: 30_000 });
}

/** The header's "Start chat": one id opens a DM, several make a group room; resolves when its composer is there. */
export async function startChat(page: Page, who: string): Promise<void> {
  await page.waitForSelector('#start-chat:not([hidden]) input');
  await page.type('#start-chat input', who);
  await page.click('#start-chat button');
  await page.waitForSelector('.RoomView .MessageComposer_input textarea', { timeout: 30_000 });
}

export async function say(page: Page, text: string): Promise<void> {
  const box = '.RoomView .MessageComposer_input textarea';
  await page.waitForSelector(`${box}:not([disabled])`);
  await page.type(box, text);
  await page.keyboard.press('Enter');
}

/** Resolves when the open room's timeline shows `text` (an agent's answer, a join announcement). */
export async function waitForTimelineText(page: Page, text: string, timeoutMs = 30_000): Promise<void> {
  await waitForText(page, '.RoomView .Timeline', text, timeoutMs);
}

/** Polls in the page (as a string: the project's tsconfig has no DOM types) until `selector`'s text contains `text`. */
export async function waitForText(page: Page, selector: string, text: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    `document.querySelector(${JSON.stringify(selector)})?.textContent?.includes(${JSON.stringify(text)}) ?? false`,
    { timeout: timeoutMs, polling: 200 },
  );
}

export async function timelineText(page: Page): Promise<string> {
  return page.$eval('.RoomView .Timeline', (el) => el.textContent ?? '');
}
