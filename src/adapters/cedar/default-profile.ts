/**
 * The CAP Profile loaded at start when none is configured: the KEE-1 Appendix A disaster
 * response example, so a new user sees real decisions at once. Any `Agent` may `read`;
 * classifying an incident as GOLD is denied, and the DENY opens a `HEM-HIGH-1` human escalation,
 * until an approver has approved it: the retry naming its `hem_id` carries the kernel's facts
 * `context.hem` (docs/hem.md), which no agent can send itself.
 */
export const DEFAULT_CAP_PROFILE = {
  capProfileId: 'kee-disaster-response-gov-v1.0',
  policies: `
@id("kee-default-read")
@tier("2")
@cap_rrs_control_id("kee-default:read-any")
permit (principal is Agent, action == Action::"read", resource);

@id("tier0b-no-auto-gold")
@tier("0-B")
@hem("HEM-HIGH-1")
@cap_rrs_control_id("disaster-response:auto-gold-needs-human")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=336AC0000000223")
forbid (principal, action == Action::"classify_gold", resource)
unless { context has hem && context.hem.class == "HEM-HIGH-1" && context.hem.resolution == "APPROVED" };

@id("tier1-gold-with-human-approval")
@tier("1")
@cap_rrs_control_id("disaster-response:gold-after-hem")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=336AC0000000223")
permit (principal is Agent, action == Action::"classify_gold", resource)
when { context has hem && context.hem.class == "HEM-HIGH-1" && context.hem.resolution == "APPROVED" };
`,
} as const;
