//! The dispatcher: takes each event a client receives, offers it to waiting conversations,
//! then runs the first registered handler that applies, in a task of its own.

use std::collections::HashSet;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use api_core::types::Event;
use std::task::{Context, Poll, Waker};

#[cfg(feature = "reverse")]
use api_core::ReverseServer;
use api_core::{Client, Events, EventsError, Handled, Message, Pacing, UserId};
#[cfg(feature = "reverse")]
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::claim::{Claim, Claims};
use crate::context::{ChatOf, Ctx, HandledSlot, Summary, Values, abandon, hold_turn, mark_handled};
use crate::error::BoxError;
use crate::extract::{FromCtx, Rejection};
use crate::filter::{BotAdmins, Filter};
use crate::handler::{Guarded, Handler, HandlerFuture, Outcome, Route};
use crate::reply::send_reply;
use crate::report::{ErrorHook, HandlerError, panic_error, report};
use crate::sequence::{Order, Turn};
use crate::waiters::Waiters;

/// How long handlers still running at shutdown are waited for, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bot: its handlers, shared state and settings. Build it with [`Bot::new`] and the
/// methods below, then run it over a client with [`Bot::run`].
///
/// Each event goes first to a conversation waiting for it, if any; else to the handlers in
/// the order they were registered: the first one whose filter passes and whose arguments can
/// all be made from the event runs. It is started where the event is taken and goes on in a
/// task of its own once it waits, so a slow handler holds up no other event (and one that
/// ends without waiting costs no task).
pub struct Bot {
    routes: Vec<Box<dyn Route>>,
    values: Values,
    admins: HashSet<UserId>,
    on_error: Option<ErrorHook>,
    per_chat_order: bool,
    grace: Duration,
    pacing: Option<Pacing>,
    pub(crate) observer: Option<Observer>,
}

/// Called with each event once the dispatcher is done with it (for the test harness).
pub(crate) type Observer = Arc<dyn Fn(&Arc<Event>) + Send + Sync>;

impl Default for Bot {
    fn default() -> Self {
        Bot::new()
    }
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("handlers", &self.routes.len())
            .field("per_chat_order", &self.per_chat_order)
            .field("grace", &self.grace)
            .finish()
    }
}

/// What a run saw, returned when it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Events received.
    pub events: u64,
    /// Events dropped because the bot fell behind (each lag is logged as a warning).
    pub lagged: u64,
    /// Handlers still running when the shutdown grace ran out, and stopped.
    pub abandoned: usize,
}

impl Bot {
    /// A bot with no handlers; events in parallel; a shutdown grace of
    /// [`DEFAULT_SHUTDOWN_GRACE`].
    pub fn new() -> Self {
        Bot {
            routes: Vec::new(),
            values: Values::default(),
            admins: HashSet::new(),
            on_error: None,
            per_chat_order: false,
            grace: DEFAULT_SHUTDOWN_GRACE,
            pacing: None,
            observer: None,
        }
    }

    /// Adds a handler: an async function whose arguments are extractors
    /// ([`FromCtx`](crate::extract::FromCtx)). The typed event it takes (`MessageEvent`,
    /// `GroupRequest`, `GroupUploadNotice`, a `#[derive(Commands)]` enum, …) is what it is
    /// registered for.
    pub fn on<Args: 'static, H: Handler<Args>>(self, handler: H) -> Self {
        self.add(None, handler)
    }

    /// Adds a handler that runs only for events passing `filter`.
    pub fn on_if<Args: 'static, H: Handler<Args>>(self, filter: Filter, handler: H) -> Self {
        self.add(Some(filter), handler)
    }

    fn add<Args: 'static, H: Handler<Args>>(mut self, filter: Option<Filter>, handler: H) -> Self {
        self.routes.push(Box::new(Guarded {
            handler,
            filter,
            args: PhantomData,
        }));
        self
    }

    /// Shares `value` with every handler, as the argument
    /// [`State<T>`](crate::extract::State) (one value per type; put it in an `Arc` to share
    /// one instance rather than clones).
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.values.insert(value);
        self
    }

    /// The QQ numbers the bot takes as its own admins (the
    /// [`bot_admin`](crate::filter::bot_admin) filter).
    pub fn admins(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.admins.extend(ids);
        self
    }

    /// Calls `hook` with each handler failure (and panic), after it is logged.
    pub fn on_error(mut self, hook: impl Fn(&HandlerError) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// Keeps each chat's events in order: an event starts only once the one before it in
    /// the same chat (of the same account) is handled. Chats still go on in parallel. Off by
    /// default.
    pub fn per_chat_order(mut self, on: bool) -> Self {
        self.per_chat_order = on;
        self
    }

    /// How long handlers still running at shutdown are waited for before they are stopped.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Runs over `client`'s events until Ctrl-C or SIGTERM, or until the client is closed;
    /// then stops taking events and waits (up to the shutdown grace) for running handlers.
    pub async fn run(self, client: Client) -> RunSummary {
        self.run_until(client, crate::shutdown::signal()).await
    }

    /// As [`run`](Self::run), stopping when `stop` completes instead of at a signal.
    pub async fn run_until(self, client: Client, stop: impl Future<Output = ()>) -> RunSummary {
        let events = deliveries(client.events());
        self.run_stream(client, events, stop).await
    }

    /// As [`run_until`](Self::run_until), over `events` (what `client` receives, each with
    /// what tells its source it was handled).
    pub(crate) async fn run_stream(
        self,
        client: Client,
        events: impl Stream<Item = Result<(Event, Handled), EventsError>>,
        stop: impl Future<Output = ()>,
    ) -> RunSummary {
        let running = self.start();
        tokio::select! {
            () = running.feed(client, events) => {}
            () = stop => {}
        }
        running.finish().await
    }

    /// Runs over every account that connects to `server` (NapCat's reverse WebSocket, many
    /// accounts), each event handled with the client of the account that received it, until
    /// Ctrl-C or SIGTERM; then stops as [`run`](Self::run) does and shuts the server down.
    #[cfg(feature = "reverse")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reverse")))]
    pub async fn serve(self, server: ReverseServer) -> RunSummary {
        self.serve_until(server, crate::shutdown::signal()).await
    }

    /// As [`serve`](Self::serve), stopping when `stop` completes.
    #[cfg(feature = "reverse")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reverse")))]
    pub async fn serve_until(
        self,
        mut server: ReverseServer,
        stop: impl Future<Output = ()>,
    ) -> RunSummary {
        let running = self.start();
        let accounts = async {
            let mut feeding = FuturesUnordered::new();
            loop {
                tokio::select! {
                    connected = server.accept() => match connected {
                        Some(account) => {
                            tracing::info!(self_id = %account.self_id, "an account connected");
                            feeding.push(running.feed(account.client, deliveries(account.events)));
                        }
                        None => break,
                    },
                    Some(()) = feeding.next(), if !feeding.is_empty() => {}
                }
            }
        };
        tokio::select! {
            () = accounts => {}
            () = stop => {}
        }
        let summary = running.finish().await;
        server.shutdown().await;
        summary
    }

    /// Paces the sends of every client the bot runs over (see [`Pacing`]).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = Some(pacing);
        self
    }

    /// The dispatcher for this bot, ready to take events.
    pub(crate) fn start(mut self) -> Running {
        let waiters = Arc::new(Waiters::default());
        self.values.insert(waiters.clone());
        self.values.insert(Arc::new(Claims::default()));
        self.values.insert(BotAdmins(Arc::new(self.admins)));
        Running {
            core: Arc::new(Core {
                routes: self.routes,
                values: Arc::new(self.values),
                waiters,
                on_error: self.on_error,
                order: self.per_chat_order.then(Order::new),
                observer: self.observer,
                pacing: self.pacing,
                events: AtomicU64::new(0),
                lagged: AtomicU64::new(0),
            }),
            tasks: TaskTracker::new(),
            abort: CancellationToken::new(),
            grace: self.grace,
        }
    }
}

/// A bot taking events: the handler tasks it started and how to stop them.
pub(crate) struct Running {
    core: Arc<Core>,
    tasks: TaskTracker,
    /// Cancelled when the grace runs out: handlers still running stop.
    abort: CancellationToken,
    grace: Duration,
}

/// What an event's handler is to do: run, or only say something.
enum Picked {
    /// The handler, started.
    Run(HandlerFuture),
    /// A reply to send.
    Reply(Message),
}

/// What every handler task shares.
struct Core {
    routes: Vec<Box<dyn Route>>,
    values: Arc<Values>,
    waiters: Arc<Waiters>,
    on_error: Option<ErrorHook>,
    order: Option<Arc<Order<ChatOf>>>,
    observer: Option<Observer>,
    pacing: Option<Pacing>,
    events: AtomicU64,
    lagged: AtomicU64,
}

impl Running {
    /// Takes the events `client` receives, from its subscription `events` (or any stream of
    /// them), until it ends (or this future is dropped). A lag is logged and counted, never
    /// fatal. Each event is marked handled once its handler is done with it (the handler
    /// ended, failed or panicked), not when the handler is stopped at shutdown: a message
    /// broker then delivers it again.
    pub(crate) async fn feed(
        &self,
        client: Client,
        events: impl Stream<Item = Result<(Event, Handled), EventsError>>,
    ) {
        if let Some(pacing) = &self.core.pacing
            && !client.set_pacing(pacing.clone())
        {
            tracing::warn!(
                url = %client.url(),
                "the client is paced already: its own limits stay, the bot's are not applied"
            );
        }
        let mut events = std::pin::pin!(events);
        while let Some(next) = events.next().await {
            match next {
                Ok((event, handled)) => self.dispatch(&client, event, handled),
                Err(EventsError::Lagged(n)) => {
                    self.core.lagged.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(
                        missed = n,
                        "the bot fell behind: events were dropped; it goes on with newer ones"
                    );
                }
                Err(e) => {
                    tracing::error!(error = %e, "this client receives no events");
                    break;
                }
            }
        }
    }

    /// Handles one event received by `client`'s account, in a task of its own, and marks it
    /// `handled` when done.
    pub(crate) fn dispatch(&self, client: &Client, event: Event, handled: Handled) {
        let core = &self.core;
        core.events.fetch_add(1, Ordering::Relaxed);
        let ctx =
            Ctx::new(Arc::new(event), client.clone(), core.values.clone()).with_handled(handled);
        let about = Summary::of(ctx.event());
        // The test harness sees each event once it is handled.
        let seen = core.observer.as_ref().map(|_| ctx.event_arc().clone());
        let done = Done {
            about,
            seen,
            handled: ctx.handled(),
        };
        // Filters and extractors are the bot's own code, run here: a panic in one is
        // reported like a handler's, and the bot goes on.
        match std::panic::catch_unwind(AssertUnwindSafe(|| core.waiters.offer(&ctx))) {
            Ok(false) => {}
            Ok(true) => {
                // A message a conversation took is this account's: the bot's other accounts
                // in the group leave their copy of it to this one.
                let _ = Claim::from_ctx(&ctx);
                return done.finish(core, None);
            }
            Err(panic) => return done.finish(core, Some(panic_error(panic))),
        }
        // The handler is picked (its arguments made) here, in the order events arrive; an
        // event no handler takes needs no task.
        let picked = std::panic::catch_unwind(AssertUnwindSafe(|| core.pick(&ctx)));
        // The picked handler holds what it needs of the event: the event moves into it when
        // it starts, unless something else holds it too.
        drop(ctx);
        let mut picked = match picked {
            Ok(Some(picked)) => picked,
            Ok(None) => return done.finish(core, None),
            Err(panic) => return done.finish(core, Some(panic_error(panic))),
        };
        let mut turn = core.order.as_ref().and_then(|order| {
            let chat = done.about.chat?;
            Some(order.enter((done.about.self_id, chat)))
        });
        // A handler with no earlier event of its chat to wait for is polled once here: one
        // that ends without waiting (a counter, a filter that says no) needs no task either.
        // One that waits goes on in a task of its own, which polls it again at once (its
        // chat's next event still waits for it).
        let free = turn.as_mut().is_none_or(Turn::is_free);
        if free {
            // The chat's turn is this event's now, until it is marked handled (by a
            // conversation that waits, or when its handler ends).
            hold_turn(&done.handled, turn.take());
        }
        if free && let Picked::Run(run) = &mut picked {
            let mut cx = Context::from_waker(Waker::noop());
            match std::panic::catch_unwind(AssertUnwindSafe(|| run.as_mut().poll(&mut cx))) {
                Ok(Poll::Pending) => {}
                Ok(Poll::Ready(Outcome::Reply(message))) => picked = Picked::Reply(message),
                Ok(Poll::Ready(Outcome::Done)) => return done.finish(core, None),
                Ok(Poll::Ready(Outcome::Failed(e))) => return done.finish(core, Some(e)),
                Err(panic) => return done.finish(core, Some(panic_error(panic))),
            }
        }
        let (core, client, abort) = (core.clone(), client.clone(), self.abort.clone());
        self.tasks.spawn(async move {
            tokio::select! {
                failure = done.handle(&client, picked, turn) => done.finish(&core, failure),
                () = abort.cancelled() => done.abandon(&core),
            }
        });
    }

    /// Stops: no event is taken any more; running handlers are waited for up to the grace,
    /// then stopped.
    pub(crate) async fn finish(self) -> RunSummary {
        self.tasks.close();
        // Conversations waiting for a next message learn that none will come.
        self.core.waiters.stop();
        let mut abandoned = 0;
        if tokio::time::timeout(self.grace, self.tasks.wait())
            .await
            .is_err()
        {
            abandoned = self.tasks.len();
            tracing::warn!(
                running = abandoned,
                grace = ?self.grace,
                "handlers still running at shutdown were stopped"
            );
            self.abort.cancel();
            self.tasks.wait().await;
        }
        RunSummary {
            events: self.core.events.load(Ordering::Relaxed),
            lagged: self.core.lagged.load(Ordering::Relaxed),
            abandoned,
        }
    }
}

/// A subscription's events, each with what tells its source it was handled; the stream ends
/// when the client is closed.
pub(crate) fn deliveries(
    events: Events,
) -> impl Stream<Item = Result<(Event, Handled), EventsError>> {
    futures_util::stream::unfold(events, |mut events| async move {
        match events.recv_handled().await {
            Err(EventsError::Closed) => None,
            next => Some((next, events)),
        }
    })
}

/// What is left of an event once its handler is picked: what identifies it, for the
/// reply and the report.
struct Done {
    about: Summary,
    /// The event, kept for the test harness only.
    seen: Option<Arc<Event>>,
    /// Tells the event's source it was handled (unless a conversation did already).
    handled: HandledSlot,
}

impl Done {
    /// Runs the picked handler, after the chat's previous event when `turn` is given, and
    /// sends its reply through `client` (the account that received the event); what
    /// failed, if anything.
    async fn handle(
        &self,
        client: &Client,
        picked: Picked,
        turn: Option<Turn<ChatOf>>,
    ) -> Option<BoxError> {
        if let Some(mut turn) = turn {
            turn.wait().await;
            hold_turn(&self.handled, Some(turn));
        }
        let outcome = match picked {
            Picked::Run(run) => match AssertUnwindSafe(run).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(panic) => Outcome::Failed(panic_error(panic)),
            },
            Picked::Reply(message) => Outcome::Reply(message),
        };
        match outcome {
            Outcome::Done => None,
            Outcome::Failed(e) => Some(e),
            Outcome::Reply(message) => send_reply(client, &self.about, message).await.err(),
        }
    }

    /// The event is done with: `failure` is reported, the event's source and the test
    /// harness told.
    fn finish(self, core: &Core, failure: Option<BoxError>) {
        if let Some(e) = failure {
            report(&self.about, e, core.on_error.as_ref());
        }
        mark_handled(&self.handled);
        if let (Some(observer), Some(event)) = (&core.observer, &self.seen) {
            observer(event);
        }
    }

    /// The event's handler was stopped at shutdown: its source is not told it was handled
    /// (a message broker delivers it again); the test harness is.
    fn abandon(self, core: &Core) {
        abandon(&self.handled);
        if let (Some(observer), Some(event)) = (&core.observer, &self.seen) {
            observer(event);
        }
    }
}

impl Core {
    /// The first handler that applies to `ctx`, started; or what to answer when its
    /// arguments are wrong; `None` when no handler applies.
    fn pick(&self, ctx: &Ctx) -> Option<Picked> {
        for route in &self.routes {
            match route.start(ctx) {
                Err(Rejection::Skip) => continue,
                // Wrong arguments are answered where a message was said (quoting it), by one
                // of the bot's accounts: the one that claims the message.
                Err(Rejection::Answer(text)) => {
                    return Claim::from_ctx(ctx)
                        .ok()
                        .map(|Claim| Picked::Reply(text.into()));
                }
                Ok(run) => return Some(Picked::Run(run)),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::types::MessageEvent;
    use futures_util::stream;
    use std::sync::Mutex;
    use tokio::sync::oneshot;

    /// Made-up events, with nobody to tell when they are handled.
    fn nobody_to_tell(
        events: impl Stream<Item = Result<Event, EventsError>>,
    ) -> impl Stream<Item = Result<(Event, Handled), EventsError>> {
        events.map(|next| next.map(|event| (event, Handled::nobody())))
    }

    /// A client that is never called: the events below are made up, not received.
    fn offline_client() -> Client {
        Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }

    fn private_message(id: i64, text: &str) -> Event {
        let json = serde_json::json!({
            "time": 1764151000, "self_id": 10001, "post_type": "message",
            "message_type": "private", "sub_type": "friend", "message_id": id,
            "user_id": 123456, "message": [{"type": "text", "data": {"text": text}}],
            "raw_message": text, "font": 14, "sender": {"user_id": 123456, "nickname": "张三"}
        });
        Event::from_slice(json.to_string().as_bytes()).unwrap()
    }

    /// A lag between two events is counted and the second event is still handled.
    #[tokio::test]
    async fn a_lag_is_counted_and_not_fatal() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let bot = Bot::new().on(move |m: MessageEvent| {
            let log = log.clone();
            async move { log.lock().unwrap().push(m.message.plain_text()) }
        });
        let events = stream::iter([
            Ok(private_message(1, "before")),
            Err(EventsError::Lagged(3)),
            Ok(private_message(2, "after")),
        ]);
        let summary = bot
            .run_stream(
                offline_client(),
                nobody_to_tell(events),
                std::future::pending(),
            )
            .await;
        assert_eq!(summary.lagged, 3);
        assert_eq!(summary.events, 2);
        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen, ["after", "before"]);
    }

    /// Where the segments of `m` lie in memory.
    fn segments_at(m: &MessageEvent) -> usize {
        m.message
            .iter()
            .next()
            .map_or(0, |s| std::ptr::from_ref(s) as usize)
    }

    /// Where the segments of `event`'s message lie in memory.
    fn text_at(event: &Event) -> usize {
        match event {
            Event::Message(m) => segments_at(m),
            _ => 0,
        }
    }

    /// The event a handler takes is moved into it, not copied, when nothing else holds it;
    /// when something does (here an `Arc<Event>` argument), the handler gets a copy.
    #[tokio::test]
    async fn the_event_moves_into_its_handler() {
        let alone = private_message(1, "alone");
        let shared = private_message(2, "shared");
        let (alone_at, shared_at) = (text_at(&alone), text_at(&shared));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, log_too) = (seen.clone(), seen.clone());
        let bot = Bot::new()
            .on_if(
                crate::filter::text_where(|t| t == "alone"),
                move |m: MessageEvent| {
                    let log = log.clone();
                    async move {
                        let at = segments_at(&m);
                        log.lock().unwrap().push((m.message.plain_text(), at));
                    }
                },
            )
            .on(move |m: MessageEvent, _also: Arc<Event>| {
                let log = log_too.clone();
                async move {
                    let at = segments_at(&m);
                    log.lock().unwrap().push((m.message.plain_text(), at));
                }
            });
        let events = stream::iter([Ok(alone), Ok(shared)]);
        bot.run_stream(
            offline_client(),
            nobody_to_tell(events),
            std::future::pending(),
        )
        .await;
        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen[0].0, "alone");
        assert_ne!(alone_at, 0);
        assert_eq!(
            seen[0].1, alone_at,
            "the lone handler's event is the one received"
        );
        assert_eq!(seen[1].0, "shared");
        assert_ne!(seen[1].1, shared_at, "a shared event is copied");
    }

    /// At shutdown no event is taken any more, and a running handler is waited for.
    #[tokio::test]
    async fn shutdown_waits_for_running_handlers() {
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let (started, has_started) = oneshot::channel::<()>();
        let started = Arc::new(Mutex::new(Some(started)));
        let finished = Arc::new(AtomicU64::new(0));
        let done = finished.clone();
        let bot = Bot::new().on(move |_: MessageEvent| {
            let (released, started, done) = (released.clone(), started.clone(), done.clone());
            async move {
                let wait = released.lock().unwrap().take();
                if let Some(s) = started.lock().unwrap().take() {
                    let _ = s.send(());
                }
                if let Some(wait) = wait {
                    let _ = wait.await;
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
        let events = stream::iter([Ok(private_message(1, "slow"))]).chain(stream::pending());
        let stop = async move {
            has_started.await.unwrap();
        };
        let run = tokio::spawn(bot.run_stream(offline_client(), nobody_to_tell(events), stop));
        tokio::task::yield_now().await;
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!run.is_finished(), "the run waits for the running handler");
        release.send(()).unwrap();
        let summary = run.await.unwrap();
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        assert_eq!(summary.abandoned, 0);
    }

    /// A handler still running when the grace runs out is stopped and counted.
    #[tokio::test(start_paused = true)]
    async fn the_grace_is_bounded() {
        let bot = Bot::new()
            .shutdown_grace(Duration::from_secs(5))
            .on(|_: MessageEvent| std::future::pending::<()>());
        let events = stream::iter([Ok(private_message(1, "stuck"))]).chain(stream::pending());
        let stop = tokio::time::sleep(Duration::from_secs(1));
        let started = tokio::time::Instant::now();
        let summary = bot
            .run_stream(offline_client(), nobody_to_tell(events), stop)
            .await;
        assert_eq!(summary.abandoned, 1);
        assert_eq!(started.elapsed(), Duration::from_secs(6));
    }
}
