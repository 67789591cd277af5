import { html } from 'hono/html';
import { describeProvisioning, type ProvisioningStatus } from '../../provision/status.ts';
import type { Html } from './layout.ts';

/** The overview's line on provisioning: shown while it runs and once it ended, nothing when this process never ran it. */
export function withProvisioningLine(status: ProvisioningStatus, body: Html, now: number): Html {
  if (status.state === 'idle') return body;
  return html`<p class="provisioning ${status.state}" data-provisioning="${status.state}">${describeProvisioning(status, now)}</p>${body}`;
}
