"""What the twelve demo files say: their catalogue metadata and the text of each section.

Plain data for `collateral.demo_content`, which writes the files. The products are made up; the
PDFs use core Helvetica, so their text must stay within Latin-1.
"""

from __future__ import annotations

from dataclasses import dataclass

from .taxonomy_defaults import DEFAULT_CONTENT_TYPES, DEFAULT_STAGES

DEMO_PRODUCTS: tuple[str, ...] = (
    "Harborline CRM",
    "Quillmetric Analytics",
    "Tidewell Payments",
    "Fernway Support Desk",
)
DEMO_INDUSTRIES: tuple[str, ...] = (
    "Healthcare",
    "Retail",
    "Financial services",
    "Manufacturing",
    "Public sector",
)
# The app seeds these names; the demo uses them exactly.
DEMO_STAGES: tuple[str, ...] = DEFAULT_STAGES
DEMO_CONTENT_TYPES: tuple[str, ...] = DEFAULT_CONTENT_TYPES

_CRM, _ANALYTICS, _PAYMENTS, _SUPPORT = DEMO_PRODUCTS
_HEALTH, _RETAIL, _FINANCE, _MAKING, _PUBLIC = DEMO_INDUSTRIES


@dataclass(frozen=True)
class DemoSection:
    """A slide (PPTX), a page (PDF) or a level-1 heading with its body (DOCX)."""

    title: str
    text: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class DemoSpec:
    """What to write for one demo asset; the file format follows the filename's suffix."""

    filename: str
    title: str
    description: str
    products: tuple[str, ...]
    industries: tuple[str, ...]
    stages: tuple[str, ...]
    content_type: str
    tags: tuple[str, ...]
    sections: tuple[DemoSection, ...]
    status: str = "published"


DEMO_SPECS: tuple[DemoSpec, ...] = (
    DemoSpec(
        filename="harborline-crm-overview-2026.pptx",
        title="Harborline CRM Overview Deck",
        description="First-meeting deck: why deals slip, what Harborline CRM does, "
        "integrations, plans and the ROI customers report.",
        products=(_CRM,),
        industries=(_RETAIL, _MAKING, _FINANCE),
        stages=("Prospecting", "Discovery"),
        content_type="Presentation",
        tags=("first call", "overview", "roi", "integrations"),
        sections=(
            DemoSection(
                "Why deals slip today",
                bullets=(
                    "Reps spend 6 hours a week updating spreadsheets instead of selling",
                    "Forecasts built from stale notes miss the quarter by 20% or more",
                    "Handoffs between sales and service lose context, and customers notice",
                ),
                notes="Ask which of these hurts most and write it down; it frames the call.",
            ),
            DemoSection(
                "What Harborline CRM does",
                bullets=(
                    "Pipeline board with drag-and-drop stages and deal health scores",
                    "Automatic activity capture from email and calendar",
                    "Guided selling playbooks for each deal stage",
                    "Territory and quota management for field and inside sales",
                    "Mobile app with offline notes for reps on the road",
                ),
            ),
            DemoSection(
                "Integrations that work on day one",
                bullets=(
                    "Two-way sync with Gmail, Outlook and Microsoft Teams",
                    "Certified connectors for Shopify, NetSuite and SAP Business One",
                    "Open REST API and webhooks, 300 requests per second per tenant",
                    "Native links to Quillmetric Analytics and Fernway Support Desk",
                ),
                notes="If they run SAP, say the connector is certified and installs in an hour.",
            ),
            DemoSection(
                "Plans at a glance",
                table=(
                    ("Plan", "Best for", "Price per user per month"),
                    ("Starter", "Teams up to 10 reps", "$29"),
                    ("Growth", "Scaling sales teams", "$59"),
                    ("Enterprise", "Multi-region sales organizations", "$99"),
                ),
                notes="Full price list and discounts are in the 2026 pricing sheet.",
            ),
            DemoSection(
                "The ROI our customers report",
                bullets=(
                    "Win rates up 14% in the first two quarters",
                    "Quarterly forecasts within 5% of actuals by month three",
                    "Payback in under 7 months for a 50-seat team",
                    "Manual data entry down by 6 hours per rep per week",
                ),
                notes="Never quote payback without their seat count; use the ROI calculator.",
            ),
            DemoSection(
                "Next steps",
                bullets=(
                    "Pick two use cases for a 30-minute tailored demo",
                    "Share a sample export so we can map your fields",
                    "Agree on a decision date and who signs",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="quillmetric-analytics-demo-walkthrough.pptx",
        title="Quillmetric Analytics Live Demo Walkthrough",
        description="Click-by-click demo script: dashboards, revenue forecasting, anomaly "
        "alerts and data connectors, with talk tracks in the speaker notes.",
        products=(_ANALYTICS,),
        industries=(_MAKING, _RETAIL),
        stages=("Demo",),
        content_type="Presentation",
        tags=("demo script", "forecasting", "dashboards", "talk track"),
        sections=(
            DemoSection(
                "Demo agenda (25 minutes)",
                bullets=(
                    "Executive dashboard in under a minute",
                    "Revenue forecasting with confidence ranges",
                    "Anomaly alerts on orders, returns and inventory",
                    "Connecting a data warehouse live",
                    "Questions and next steps",
                ),
                notes="Confirm who is in the room: finance wants forecasts, operations alerts.",
            ),
            DemoSection(
                "Executive dashboard",
                bullets=(
                    "Open the Plant Performance dashboard, then filter by region",
                    "Drill from monthly revenue to a single order line in two clicks",
                    "Schedule the dashboard as a PDF to the CFO every Monday",
                ),
                notes="Keep the filters visible; prospects remember the drill-down.",
            ),
            DemoSection(
                "Revenue forecasting",
                bullets=(
                    "Forecasts blend pipeline, seasonality and order history",
                    "Each forecast shows a confidence range, not a single number",
                    "Forecast accuracy improves as weekly actuals arrive",
                    "Compare forecast versions to see what changed and why",
                ),
                notes="Asked whether they can override the forecast? Yes, with an audit trail.",
            ),
            DemoSection(
                "Anomaly alerts",
                bullets=(
                    "Alerts fire when returns, scrap rate or stockouts leave their normal band",
                    "Send alerts to email, Microsoft Teams or Slack",
                    "Each alert links to the rows that caused it",
                ),
            ),
            DemoSection(
                "Data connectors",
                table=(
                    ("Source", "Sync frequency", "Setup time"),
                    ("Snowflake", "Every 15 minutes", "10 minutes"),
                    ("Google BigQuery", "Every 15 minutes", "10 minutes"),
                    ("PostgreSQL", "Every 5 minutes", "5 minutes"),
                    ("Harborline CRM", "Real time", "2 minutes"),
                    ("CSV upload", "On demand", "None"),
                ),
            ),
            DemoSection(
                "Close the demo",
                bullets=(
                    "Offer a 14-day proof of value on their own data",
                    "Send the datasheet and the security questionnaire answers",
                    "Book the technical deep dive with their data team",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="tidewell-payments-security-compliance.pptx",
        title="Tidewell Payments Security and Compliance Briefing",
        description="For security reviews and procurement: PCI DSS Level 1, SOC 2 Type II, "
        "tokenization, fraud screening and data residency.",
        products=(_PAYMENTS,),
        industries=(_FINANCE, _RETAIL),
        stages=("Discovery", "Proposal"),
        content_type="Presentation",
        tags=("security", "compliance", "pci dss", "soc 2", "fraud"),
        sections=(
            DemoSection(
                "Certifications and audits",
                bullets=(
                    "PCI DSS Level 1 service provider, assessed every year",
                    "SOC 2 Type II report covering security, availability and confidentiality",
                    "ISO 27001 certified operations in every region",
                    "Penetration tests twice a year by an independent firm",
                ),
                notes="Offer the SOC 2 report under NDA. Do not email it unprompted.",
            ),
            DemoSection(
                "How card data is protected",
                bullets=(
                    "Card numbers are tokenized at the edge and never touch your servers",
                    "AES-256 encryption at rest, TLS 1.3 in transit",
                    "Hardware security modules hold the encryption keys",
                    "Role-based access with single sign-on and mandatory two-factor sign-in",
                ),
            ),
            DemoSection(
                "Fraud screening",
                bullets=(
                    "Machine-learning risk score on every transaction",
                    "3-D Secure 2 challenges only when the risk score is high",
                    "Chargeback alerts and evidence packs for disputes",
                    "Custom rules by country, amount or device",
                ),
                notes="Retailers fear false declines more than fraud: lead with approval rates.",
            ),
            DemoSection(
                "Data residency",
                table=(
                    ("Region", "Data centers", "Settlement currencies"),
                    ("United States", "Virginia and Oregon", "USD"),
                    ("European Union", "Frankfurt and Dublin", "EUR, GBP"),
                    ("Canada", "Montreal", "CAD"),
                    ("Australia", "Sydney", "AUD"),
                ),
            ),
            DemoSection(
                "Security review in three steps",
                bullets=(
                    "Send our standard security questionnaire answers (SIG Lite)",
                    "Share the SOC 2 Type II report and the PCI attestation of compliance",
                    "Schedule a 45-minute call with our security team",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="fernway-support-desk-onboarding-plan.pptx",
        title="Fernway Support Desk 90-Day Onboarding Plan",
        description="What happens after signature: onboarding timeline, roles, training and "
        "the success review that leads into renewal.",
        products=(_SUPPORT,),
        industries=(_HEALTH, _PUBLIC),
        stages=("Onboarding", "Renewal"),
        content_type="Presentation",
        tags=("onboarding", "implementation", "timeline", "customer success"),
        sections=(
            DemoSection(
                "Onboarding timeline",
                table=(
                    ("Phase", "Weeks", "Outcome"),
                    ("Kickoff and discovery", "1-2", "Project plan signed off"),
                    ("Configuration", "3-6", "Queues, SLAs and macros built"),
                    ("Data migration", "5-8", "Tickets and knowledge base imported"),
                    ("Training", "7-10", "Agents and admins certified"),
                    ("Go-live and hypercare", "11-13", "Live, with daily check-ins"),
                ),
                notes="Most customers go live in week 11. Public sector adds two weeks for SSO.",
            ),
            DemoSection(
                "Who does what",
                bullets=(
                    "Your project lead owns decisions and internal communication",
                    "Our onboarding manager runs the weekly status call",
                    "A solutions architect configures SLAs, routing and integrations",
                    "Your admins shadow every configuration session",
                ),
            ),
            DemoSection(
                "Training plan",
                bullets=(
                    "Two live sessions for agents, recorded for new hires",
                    "Admin certification course of four hours",
                    "Knowledge base writing workshop for team leads",
                ),
                notes="Book training dates at kickoff; calendars fill fast in hospitals.",
            ),
            DemoSection(
                "Measuring success",
                bullets=(
                    "First-response time and resolution time against SLA targets",
                    "Customer satisfaction (CSAT) after every resolved ticket",
                    "Agent adoption: share of tickets handled in Fernway by day 30",
                ),
            ),
            DemoSection(
                "From go-live to renewal",
                bullets=(
                    "Success review at day 90 with the executive sponsor",
                    "Quarterly business reviews with benchmark reports",
                    "Renewal planning starts 120 days before the contract ends",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="quillmetric-analytics-datasheet.pdf",
        title="Quillmetric Analytics Datasheet",
        description="Two-page product datasheet: capabilities, connectors, technical "
        "specifications and security.",
        products=(_ANALYTICS,),
        industries=(_MAKING, _RETAIL, _PUBLIC),
        stages=("Discovery", "Demo"),
        content_type="Datasheet",
        tags=("datasheet", "specifications", "connectors"),
        sections=(
            DemoSection(
                "Quillmetric Analytics at a glance",
                text=(
                    "Quillmetric Analytics turns order, inventory and pipeline data into "
                    "dashboards and forecasts that operations and finance teams trust. It "
                    "connects to the data warehouse you already run and needs no data "
                    "engineers to maintain.",
                ),
                bullets=(
                    "Self-service dashboards with drill-down to the row",
                    "Revenue and demand forecasting with confidence ranges",
                    "Anomaly alerts for returns, scrap and stockouts",
                    "Scheduled reports by email as PDF or Excel",
                    "Embedded analytics for customer portals",
                ),
            ),
            DemoSection(
                "Technical specifications",
                table=(
                    ("Item", "Specification"),
                    ("Deployment", "Cloud, hosted in the US, the EU or Canada"),
                    ("Data connectors", "Snowflake, BigQuery, PostgreSQL, SQL Server, CSV"),
                    ("Refresh", "Every 5 to 15 minutes; real time from Harborline CRM"),
                    ("Data retention", "25 months online, archive on request"),
                    ("Single sign-on", "SAML 2.0 and OpenID Connect"),
                    ("API", "REST, 120 requests per minute per user"),
                    ("Availability", "99.9% uptime SLA"),
                ),
                text=(
                    "Security: SOC 2 Type II audited, encryption at rest and in transit, "
                    "row-level permissions and an audit log of every export.",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="mercy-valley-health-case-study.pdf",
        title="Case Study: Mercy Valley Health Answers Patients Faster with Fernway",
        description="A regional hospital network replaced three help desks with Fernway "
        "Support Desk: 42% faster first response, compliant from day one.",
        products=(_SUPPORT,),
        industries=(_HEALTH,),
        stages=("Discovery", "Proposal"),
        content_type="Case study",
        tags=("case study", "customer story", "hospital"),
        sections=(
            DemoSection(
                "The customer and the challenge",
                text=(
                    "Mercy Valley Health runs four hospitals and 31 clinics. Patient questions "
                    "about billing, appointments and portal access arrived through three help "
                    "desks, two phone lines and a shared mailbox.",
                    "The first response took 19 hours on average, and no one could see the "
                    "whole history of a patient's request.",
                ),
            ),
            DemoSection(
                "Why they chose Fernway",
                text=(
                    "Compliance decided the shortlist. Fernway Support Desk is HIPAA compliant "
                    "and signs a business associate agreement (BAA) with every healthcare "
                    "customer.",
                ),
                bullets=(
                    "Protected health information masked in ticket previews",
                    "Audit log of every view of a patient ticket",
                    "Routing by hospital, clinic and department",
                    "One queue for email, web forms and the patient portal",
                ),
            ),
            DemoSection(
                "Results after six months",
                table=(
                    ("Metric", "Before", "After"),
                    ("First response time", "19 hours", "11 hours (42% faster)"),
                    ("Resolved on first contact", "48%", "71%"),
                    ("Patient satisfaction (CSAT)", "3.6 / 5", "4.5 / 5"),
                    ("Help desks to maintain", "3", "1"),
                ),
                text=(
                    '"We finally see every patient question in one place, and our compliance '
                    'team signed off in a week." - Dana Ortiz, Director of Patient Experience',
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="harborline-crm-pricing-2026.pdf",
        title="Harborline CRM Pricing and Packaging 2026",
        description="List prices for the Starter, Growth and Enterprise tiers, add-ons, "
        "volume discounts and contract terms.",
        products=(_CRM,),
        industries=(_RETAIL, _MAKING, _FINANCE, _PUBLIC),
        stages=("Proposal", "Negotiation", "Renewal"),
        content_type="Pricing",
        tags=("pricing", "price list", "discounts", "2026"),
        sections=(
            DemoSection(
                "Pricing tiers",
                table=(
                    ("Tier", "Per user per month", "Included"),
                    ("Starter", "$29", "Pipeline, contacts, email sync, mobile app"),
                    ("Growth", "$59", "Starter plus forecasting, playbooks, territories"),
                    ("Enterprise", "$99", "Growth plus sandbox, custom objects, SSO, 24/7"),
                ),
                text=(
                    "Prices are billed annually. Monthly billing is available on Starter and "
                    "Growth at a 15% premium. Every tier includes unlimited contacts and 10 GB "
                    "of file storage per user.",
                ),
            ),
            DemoSection(
                "Add-ons and volume discounts",
                bullets=(
                    "Quillmetric Analytics embedded dashboards: $15 per user per month",
                    "Additional sandbox: $500 per month",
                    "Premier success plan: 12% of annual license fees",
                ),
                table=(
                    ("Seats", "Volume discount"),
                    ("50 to 199", "5%"),
                    ("200 to 499", "10%"),
                    ("500 and more", "Ask the deal desk"),
                ),
            ),
            DemoSection(
                "Contract terms and approvals",
                bullets=(
                    "Standard term is 12 months; 24- and 36-month terms lock the price",
                    "Discounts above 20% need deal desk approval before the quote is sent",
                    "Nonprofit and public sector customers receive 15% off list on any tier",
                    "Price increases at renewal are capped at 7% per year",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="pinecrest-outfitters-case-study.pdf",
        title="Case Study: Pinecrest Outfitters Cuts Churn by 18%",
        description="An outdoor retailer unified checkout and loyalty data with Tidewell "
        "Payments and Harborline CRM: fewer abandoned checkouts, loyal customers kept.",
        products=(_PAYMENTS, _CRM),
        industries=(_RETAIL,),
        stages=("Discovery", "Proposal"),
        content_type="Case study",
        tags=("case study", "customer story", "ecommerce", "loyalty"),
        sections=(
            DemoSection(
                "About Pinecrest Outfitters",
                text=(
                    "Pinecrest Outfitters sells camping and climbing gear through 64 stores "
                    "and an online shop. Two payment gateways, one for stores and one for the "
                    "web, meant declined cards, slow refunds and no single view of a customer.",
                    "Loyalty members were quietly drifting to marketplaces.",
                ),
            ),
            DemoSection(
                "The solution",
                text=(
                    "Tidewell Payments replaced both gateways with one processor for stores and "
                    "web, and added wallet payments and one-click checkout. Every purchase now "
                    "reaches Harborline CRM in real time, so store staff see loyalty history "
                    "at the till and marketing can win back lapsing members.",
                ),
                bullets=(
                    "Rollout to 64 stores in eight weeks, one region at a time",
                    "Saved cards moved with a token migration, without asking customers",
                    "Win-back playbooks in Harborline CRM for members inactive for 90 days",
                ),
            ),
            DemoSection(
                "Results",
                text=("Within a year Pinecrest cut churn by 18% among loyalty members.",),
                table=(
                    ("Metric", "Result"),
                    ("Loyalty member churn", "Down 18%"),
                    ("Online checkout abandonment", "Down 23%"),
                    ("Payment approval rate", "91.2% to 96.8%"),
                    ("Daily sales reconciliation", "From 2 days to 3 hours"),
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="harborline-vs-stackmere-battlecard.docx",
        title="Battlecard: Harborline CRM vs Stackmere",
        description="How to win against Stackmere: where we are stronger, objection "
        "handling and landmine questions.",
        products=(_CRM,),
        industries=(_RETAIL, _MAKING, _FINANCE),
        stages=("Discovery", "Negotiation"),
        content_type="Battlecard",
        tags=("competitor", "stackmere", "objections"),
        sections=(
            DemoSection(
                "Quick summary",
                text=(
                    "Stackmere is a low-cost CRM popular with small teams. It is quick to "
                    "start but lacks forecasting, territory management and an open API on its "
                    "lower plans. We win when the buyer has more than 20 reps or more than one "
                    "region.",
                ),
            ),
            DemoSection(
                "Where we win",
                bullets=(
                    "Forecasting and deal health scores are built in; Stackmere sells an add-on",
                    "Offline mobile app for field reps",
                    "Certified SAP Business One and NetSuite connectors",
                    "Territory and quota management in the Growth tier",
                ),
            ),
            DemoSection(
                "Competitor objections and answers",
                table=(
                    ("Objection", "Answer"),
                    (
                        "Stackmere is cheaper.",
                        "Their list price is $25 per user, but forecasting and API access add "
                        "$30. For the same features Harborline Growth at $59 costs less.",
                    ),
                    (
                        "We already use Stackmere.",
                        "Our migration service moves contacts, deals and history in under two "
                        "weeks, free for contracts over 50 seats.",
                    ),
                    (
                        "Stackmere has more integrations.",
                        "Count the ones they use. Most Stackmere connectors are third-party; "
                        "ours are built and supported by us.",
                    ),
                ),
            ),
            DemoSection(
                "Landmine questions",
                bullets=(
                    "How do you build your quarterly forecast today, and how long does it take?",
                    "What happens to your data if you leave Stackmere?",
                    "How many of your integrations does Stackmere itself support?",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="tidewell-vs-paygrove-battlecard.docx",
        title="Battlecard: Tidewell Payments vs PayGrove",
        description="Positioning against PayGrove: transaction fees, payout speed, approval "
        "rates and objection handling.",
        products=(_PAYMENTS,),
        industries=(_RETAIL, _FINANCE),
        stages=("Discovery", "Proposal", "Negotiation"),
        content_type="Battlecard",
        tags=("competitor", "paygrove", "objections", "transaction fees"),
        sections=(
            DemoSection(
                "Quick summary",
                text=(
                    "PayGrove competes on a flat rate of 2.9% plus 30 cents. Tidewell wins with "
                    "interchange-plus pricing, next-day payouts and higher approval rates on "
                    "card-not-present sales.",
                ),
            ),
            DemoSection(
                "Fee comparison",
                table=(
                    ("Item", "Tidewell Payments", "PayGrove"),
                    ("Card pricing", "Interchange plus 0.35% + 10 cents", "Flat 2.9% + 30 cents"),
                    ("Payouts", "Next business day, free", "2 days; instant for a 1% fee"),
                    ("Chargeback fee", "$10", "$15"),
                    ("Monthly minimum", "None above $1M annual volume", "$25"),
                ),
            ),
            DemoSection(
                "Objection handling",
                bullets=(
                    '"PayGrove is simpler." A flat rate hides the cost: at an $80 average '
                    "ticket, interchange-plus saves about 0.6 points.",
                    '"Switching processors is risky." We run both in parallel for 30 days and '
                    "move saved cards with a token migration.",
                    '"PayGrove is already in our shop." Tidewell has plug-ins for Shopify, '
                    "WooCommerce and Adobe Commerce.",
                ),
            ),
            DemoSection(
                "When to walk away",
                text=(
                    "Merchants under $200,000 of annual volume with no online sales are better "
                    "served by flat pricing. Refer them to a partner and move on.",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="proposal-template-harborline-quillmetric.docx",
        title="Proposal Template: Harborline CRM with Quillmetric Analytics",
        description="Editable proposal with executive summary, scope, pricing summary, "
        "implementation timeline and terms. Replace the bracketed fields.",
        products=(_CRM, _ANALYTICS),
        industries=(_MAKING, _FINANCE, _PUBLIC),
        stages=("Proposal",),
        content_type="Proposal template",
        tags=("proposal", "template", "statement of work"),
        sections=(
            DemoSection(
                "Executive summary",
                text=(
                    "[Customer name] asked for one pipeline and a forecast the board can "
                    "trust. This proposal describes how Harborline CRM and Quillmetric "
                    "Analytics deliver both by [go-live date].",
                ),
            ),
            DemoSection(
                "Scope of work",
                bullets=(
                    "Harborline CRM Growth tier for [number] users",
                    "Quillmetric Analytics revenue forecasting and executive dashboards",
                    "Data migration from [current system]",
                    "Admin and end-user training",
                ),
            ),
            DemoSection(
                "Pricing summary",
                table=(
                    ("Item", "Quantity", "Unit price", "Annual total"),
                    ("Harborline CRM Growth", "[users]", "$59 per user per month", "[total]"),
                    ("Embedded dashboards", "[users]", "$15 per user per month", "[total]"),
                    ("Implementation services", "1", "$12,000 one time", "$12,000"),
                    ("Total first year", "", "", "[total]"),
                ),
            ),
            DemoSection(
                "Implementation timeline",
                bullets=(
                    "Weeks 1-2: kickoff and field mapping",
                    "Weeks 3-6: configuration and data migration",
                    "Weeks 7-8: training and go-live",
                ),
            ),
            DemoSection(
                "Terms",
                text=(
                    "Prices are valid for 30 days from [proposal date]. The subscription term "
                    "is 12 months, invoiced annually in advance, under the master subscription "
                    "agreement.",
                ),
            ),
        ),
    ),
    DemoSpec(
        filename="whitepaper-demand-forecasting-manufacturing.docx",
        title="Whitepaper: Demand Forecasting for Mid-Size Manufacturers",
        description="Draft thought-leadership paper on demand forecasting, with benchmark "
        "data by method and a working-capital ROI model.",
        products=(_ANALYTICS,),
        industries=(_MAKING,),
        stages=("Prospecting",),
        content_type="Whitepaper",
        tags=("whitepaper", "thought leadership", "forecasting", "roi"),
        status="draft",
        sections=(
            DemoSection(
                "Introduction",
                text=(
                    "Mid-size manufacturers plan production from spreadsheets that are out of "
                    "date the day they are shared. The result is too much safety stock of the "
                    "wrong parts and expedited freight for the right ones.",
                ),
            ),
            DemoSection(
                "Why spreadsheet forecasts fail",
                bullets=(
                    "They copy last year and add a growth rate, ignoring seasonality shifts",
                    "Sales, finance and the plant each keep their own version",
                    "Nobody measures forecast error, so nobody improves it",
                ),
            ),
            DemoSection(
                "Benchmark: forecast error by method",
                table=(
                    ("Method", "Mean forecast error", "Planner hours per month"),
                    ("Spreadsheet, last year plus growth", "24%", "60"),
                    ("ERP moving average", "17%", "35"),
                    ("Quillmetric Analytics", "8%", "10"),
                ),
            ),
            DemoSection(
                "The ROI model",
                text=(
                    "A plant with $120M of revenue that cuts forecast error from 24% to 8% "
                    "typically lowers safety stock by 15% and frees about $2.1M of working "
                    "capital in the first year.",
                ),
            ),
            DemoSection(
                "Getting started",
                text=(
                    "Start with one product line and 24 months of order history. Most pilots "
                    "show a measurable drop in forecast error within one planning cycle.",
                ),
            ),
        ),
    ),
)
