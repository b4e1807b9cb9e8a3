/**
 * `notifications/tools/list_changed` to the agents: the gateway declares `tools.listChanged` and
 * tells every connected agent session when what its `tools/list` answers changed, because an
 * upstream's tool list changed (the upstream said so and was listed again, `upstreams.ts`) or the
 * active policy changed which tools are hidden (a profile hot swap, `tool-visibility.ts`). The
 * answer is compared, not the cause: a swap that hides nothing new sends nothing.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Catalog, GatewayTool } from './upstreams.ts';

export class ToolListNotifier {
  private readonly servers = new Set<Server>();
  private readonly catalog: Catalog;
  private readonly visible: (tool: GatewayTool) => boolean;
  private readonly log: (line: string) => void;
  private last: string;

  constructor(catalog: Catalog, visible: ((tool: GatewayTool) => boolean) | undefined, log: (line: string) => void) {
    this.catalog = catalog;
    this.visible = visible ?? (() => true);
    this.log = log;
    this.last = this.signature();
  }

  /** The tools `tools/list` answers now. */
  listed(): GatewayTool['exposed'][] {
    return [...this.catalog.tools.values()].filter((t) => this.visible(t)).map((t) => t.exposed);
  }

  /** An agent session's server, told of changes until it closes. */
  add(server: Server): void {
    this.servers.add(server);
    const previous = server.onclose;
    server.onclose = () => {
      this.servers.delete(server);
      previous?.();
    };
  }

  /** Compares the answer of `tools/list` with the last one and tells every agent session if it differs. */
  check(): void {
    const now = this.signature();
    if (now === this.last) return;
    this.last = now;
    for (const server of this.servers) {
      // a session still initializing has no transport yet: its first tools/list is current anyway
      if (!server.transport) continue;
      server.sendToolListChanged().catch((e: unknown) => this.log(`kee mcp-gateway: could not send tools/list_changed: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private signature(): string {
    return JSON.stringify(this.listed());
  }
}
