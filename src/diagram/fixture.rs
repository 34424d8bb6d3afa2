//! Models built by hand for the diagram's unit tests, so that they do not
//! depend on either syntax.

use crate::model::*;
use crate::syntax::span::{Span, Spanned};

fn name(text: &str) -> Name {
    Spanned::new(text.to_string(), Span::default())
}

fn at<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

fn field(field_name: &str, ty: Type, pii: bool) -> Field {
    Field { name: name(field_name), ty: at(ty), pii, description: None }
}

/// Adds elements one by one, keeping the arenas, the cross references and
/// the graph in step.
#[derive(Default)]
pub struct Builder {
    pub model: Model,
}

impl Builder {
    pub fn new(system: &str) -> Builder {
        let mut builder = Builder::default();
        builder.model.system = name(system);
        builder
    }

    pub fn actor(&mut self, actor: &str, kind: ActorKind) -> ActorId {
        self.model.actors.push(Actor { name: name(actor), kind, description: None, role: names::kebab_case(actor) });
        ActorId(self.model.actors.len() as u32 - 1)
    }

    pub fn context(&mut self, context: &str, team: Option<&str>) -> ContextId {
        self.model.contexts.push(Context {
            name: name(context),
            team: team.map(str::to_string),
            description: None,
            aggregates: Vec::new(),
            policies: Vec::new(),
            read_models: Vec::new(),
            services: Vec::new(),
        });
        let id = ContextId(self.model.contexts.len() as u32 - 1);
        self.model.graph.node(Node::Context(id));
        id
    }

    pub fn aggregate(&mut self, context: ContextId, aggregate: &str) -> AggregateId {
        let id = AggregateId(self.model.aggregates.len() as u32);
        self.model.aggregates.push(Aggregate {
            name: name(aggregate),
            context,
            description: None,
            id_type: Type::Uuid,
            fields: vec![field("name", Type::String, false)],
            commands: Vec::new(),
            events: Vec::new(),
        });
        self.model.contexts[context.index()].aggregates.push(id);
        self.model.graph.node(Node::Aggregate(id));
        id
    }

    pub fn event(&mut self, aggregate: AggregateId, event: &str, public: bool) -> EventId {
        let id = EventId(self.model.events.len() as u32);
        let context = self.model[aggregate].context;
        self.model.events.push(Event {
            name: name(event),
            aggregate,
            context,
            description: None,
            public,
            version: 1,
            fields: vec![field("merchant_id", Type::Uuid, false)],
        });
        self.model.aggregates[aggregate.index()].events.push(id);
        self.model.graph.node(Node::Event(id));
        id
    }

    pub fn command(
        &mut self,
        aggregate: AggregateId,
        command: &str,
        actors: &[ActorId],
        emits: &[EventId],
    ) -> CommandId {
        let id = CommandId(self.model.commands.len() as u32);
        let context = self.model[aggregate].context;
        self.model.commands.push(Command {
            name: name(command),
            aggregate,
            context,
            description: None,
            actors: actors.iter().map(|a| at(*a)).collect(),
            fields: vec![field("amount", Type::Decimal, false)],
            emits: emits.iter().map(|e| at(*e)).collect(),
            emits_span: Span::default(),
            creates: false,
            errors: Vec::new(),
            schedule: None,
        });
        self.model.aggregates[aggregate.index()].commands.push(id);
        for actor in actors {
            self.model.graph.connect(Node::Actor(*actor), Node::Command(id), Edge::Issues);
        }
        for event in emits {
            self.model.graph.connect(Node::Command(id), Node::Event(*event), Edge::Emits);
        }
        id
    }

    pub fn policy(&mut self, context: ContextId, policy: &str, on: &[EventId], then: CommandId) -> PolicyId {
        let id = PolicyId(self.model.policies.len() as u32);
        self.model.policies.push(Policy {
            name: name(policy),
            context,
            description: None,
            on: on.iter().map(|e| at(*e)).collect(),
            then: Some(at(then)),
            key: None,
        });
        self.model.contexts[context.index()].policies.push(id);
        for event in on {
            self.model.graph.connect(Node::Event(*event), Node::Policy(id), Edge::Triggers);
        }
        self.model.graph.connect(Node::Policy(id), Node::Command(then), Edge::Then);
        id
    }

    pub fn read_model(&mut self, context: ContextId, read_model: &str, from: &[EventId]) -> ReadModelId {
        let id = ReadModelId(self.model.read_models.len() as u32);
        self.model.read_models.push(ReadModel {
            name: name(read_model),
            context,
            description: None,
            from: from.iter().map(|e| at(*e)).collect(),
            key: Some(name("merchant_id")),
            fields: vec![field("merchant_id", Type::Uuid, false)],
        });
        self.model.contexts[context.index()].read_models.push(id);
        for event in from {
            self.model.graph.connect(Node::Event(*event), Node::ReadModel(id), Edge::ProjectsFrom);
        }
        id
    }

    pub fn relationship(&mut self, kind: RelationshipKind, upstream: ContextId, downstream: ContextId, roles: &[Role]) {
        let (up, down): (Vec<Role>, Vec<Role>) = roles.iter().partition(|r| r.is_upstream());
        self.model.relationships.push(Relationship {
            kind: at(kind),
            upstream: at(upstream),
            downstream: at(downstream),
            upstream_roles: up.into_iter().map(at).collect(),
            downstream_roles: down.into_iter().map(at).collect(),
            description: None,
            span: Span::default(),
        });
        self.model.graph.connect(Node::Context(upstream), Node::Context(downstream), Edge::UpstreamOf);
    }

    pub fn hotspot(&mut self, context: Option<ContextId>, text: &str, on: Option<Element>) {
        self.model.hotspots.push(Hotspot {
            text: at(text.to_string()),
            context,
            on: on.map(at),
            span: Span::default(),
        });
    }

    pub fn flow(&mut self, flow: &str, steps: &[Step]) {
        self.model.flows.push(Flow {
            name: name(flow),
            description: None,
            steps: steps.iter().map(|s| at(*s)).collect(),
        });
    }
}

/// The model of the format's complete example.
pub fn payments() -> Model {
    let mut b = Builder::new("Payments");
    let buyer = b.actor("Buyer", ActorKind::Person);
    let merchant_actor = b.actor("Merchant", ActorKind::Person);
    let underwriter = b.actor("Underwriter", ActorKind::Person);
    let clock = b.actor("Clock", ActorKind::Timer);
    let provider = b.actor("PaymentProvider", ActorKind::External);

    let customer = b.context("Customer", Some("Team Blue"));
    let transactions = b.context("Transactions", Some("Team Red"));
    let billing = b.context("Billing", Some("Team Red"));

    let merchant = b.aggregate(customer, "Merchant");
    let registered = b.event(merchant, "MerchantRegistered", false);
    let accepted = b.event(merchant, "CustomerAccepted", true);
    let rejected = b.event(merchant, "CustomerRejected", false);
    b.command(merchant, "RegisterMerchant", &[merchant_actor], &[registered]);
    b.command(merchant, "CheckCustomer", &[underwriter], &[accepted, rejected]);

    let payment = b.aggregate(transactions, "Payment");
    let initiated = b.event(payment, "PaymentInitiated", false);
    let completed = b.event(payment, "PaymentCompleted", true);
    let failed = b.event(payment, "PaymentFailed", false);
    let initiate = b.command(payment, "InitiatePayment", &[buyer], &[initiated]);
    let complete = b.command(payment, "CompletePayment", &[provider], &[completed]);
    b.command(payment, "FailPayment", &[provider], &[failed]);
    b.read_model(transactions, "AcceptedMerchants", &[accepted]);
    b.hotspot(Some(transactions), "What happens to a payment whose provider never answers?", None);

    let invoice = b.aggregate(billing, "Invoice");
    let line_added = b.event(invoice, "InvoiceLineAdded", false);
    let sent = b.event(invoice, "MonthlyInvoiceSent", false);
    let add_line = b.command(invoice, "AddInvoiceLine", &[], &[line_added]);
    b.command(invoice, "SendMonthlyInvoice", &[clock], &[sent]);
    let bill = b.policy(billing, "BillCompletedPayment", &[completed], add_line);
    b.read_model(billing, "MerchantBalance", &[completed, line_added]);

    b.relationship(RelationshipKind::CustomerSupplier, customer, transactions, &[Role::Pl]);
    b.relationship(RelationshipKind::UpstreamDownstream, transactions, billing, &[Role::Acl]);
    b.flow(
        "CardPayment",
        &[
            Step::Command(initiate),
            Step::Event(initiated),
            Step::Command(complete),
            Step::Event(completed),
            Step::Policy(bill),
            Step::Command(add_line),
            Step::Event(line_added),
        ],
    );
    b.model
}

/// A model whose free text tries every character each format treats
/// specially.
pub fn awkward() -> Model {
    let mut b = Builder::new("Awkward");
    let person = b.actor("Clerk", ActorKind::Person);
    let left = b.context("Left", Some("Team \"Q\" <&> \\ {x} [y] #1 `z` ünï ✓"));
    let right = b.context("Right", Some("line one\nline two"));
    b.model.contexts[left.index()].description = Some("Says \"hi\" & <bye>;\n-- end".into());
    let thing = b.aggregate(left, "Thing");
    let happened = b.event(thing, "ThingHappened", true);
    b.command(thing, "DoThing", &[person], &[happened]);
    b.read_model(right, "Things", &[happened]);
    b.relationship(RelationshipKind::Partnership, left, right, &[]);
    b.hotspot(Some(left), "Is <this> \"right\" & ok? -> @end {}|[]#;`\\", Some(Element::Event(happened)));
    b.hotspot(None, "System-wide: 100% ünïcödé — 漢字", None);
    b.model
}
