//! Handlers: async functions whose arguments are extractors, in the manner of axum's. Any
//! `async fn(A, B, …)` of up to eight [`FromCtx`] arguments, returning `()`, a
//! [`Reply`], an `Option` of one or a `Result` of one, is a [`Handler`].

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use api_core::Message;

use crate::context::Ctx;
use crate::error::BoxError;
use crate::extract::{FromCtx, Rejection};
use crate::filter::Filter;
use crate::reply::Reply;

/// A handler's run, boxed so that different handlers can be held together.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;

/// How a handler's run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing more to do.
    Done,
    /// It failed: logged and passed to the bot's error hook.
    Failed(BoxError),
    /// This is to be said in the event's chat (see [`Reply`]).
    Reply(Message),
}

/// What a handler may return: `()`, a [`Reply`], an `Option` of one (`None`: nothing to
/// say), or a `Result` of one whose error is logged and passed to the bot's error hook.
pub trait IntoOutcome: Send + 'static {
    /// The outcome.
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Outcome {
        Outcome::Done
    }
}

impl IntoOutcome for Reply {
    fn into_outcome(self) -> Outcome {
        Outcome::Reply(self.0)
    }
}

impl<T: IntoOutcome> IntoOutcome for Option<T> {
    fn into_outcome(self) -> Outcome {
        self.map_or(Outcome::Done, IntoOutcome::into_outcome)
    }
}

impl<T: IntoOutcome, E: Into<BoxError> + Send + 'static> IntoOutcome for Result<T, E> {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(t) => t.into_outcome(),
            Err(e) => Outcome::Failed(e.into()),
        }
    }
}

/// A function the dispatcher can call with arguments made from an event. `Args` is the tuple
/// of its argument types; it only tells the implementations apart.
pub trait Handler<Args>: Clone + Send + Sync + 'static {
    /// Makes the arguments from `ctx` and starts the handler, or says why it does not apply.
    fn call(&self, ctx: &Ctx) -> Result<HandlerFuture, Rejection>;
}

macro_rules! handler_for_fn {
    ($($arg:ident),*) => {
        impl<F, Fut, R, $($arg,)*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoOutcome,
            $($arg: FromCtx,)*
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn call(&self, ctx: &Ctx) -> Result<HandlerFuture, Rejection> {
                // Every argument is checked now; those that are the event are made from it
                // when the handler starts, by when the dispatcher holds it no more.
                $(let $arg = $arg::from_ctx_deferred(ctx)?;)*
                let mut takers = 0 $(+ usize::from($arg.is_from_event()))*;
                let mut event = (takers > 0).then(|| ctx.event_arc().clone());
                let handler = self.clone();
                Ok(Box::pin(async move {
                    $(let Some($arg) = $arg.make(&mut event, &mut takers) else {
                        return Outcome::Failed(MADE_FROM_ANOTHER_KIND.into());
                    };)*
                    handler($($arg),*).await.into_outcome()
                }))
            }
        }
    };
}

/// What a handler reports if an argument checked against the event could not be made from it
/// when the handler started (the check and the making disagree: a bug in an extractor).
const MADE_FROM_ANOTHER_KIND: &str =
    "an argument checked against the event could not be made from it when the handler started";

handler_for_fn!();
handler_for_fn!(A1);
handler_for_fn!(A1, A2);
handler_for_fn!(A1, A2, A3);
handler_for_fn!(A1, A2, A3, A4);
handler_for_fn!(A1, A2, A3, A4, A5);
handler_for_fn!(A1, A2, A3, A4, A5, A6);
handler_for_fn!(A1, A2, A3, A4, A5, A6, A7);
handler_for_fn!(A1, A2, A3, A4, A5, A6, A7, A8);

/// A registered handler with its filter, its argument types erased.
pub(crate) trait Route: Send + Sync {
    /// Starts the handler for `ctx` when its filter passes and its arguments can be made.
    fn start(&self, ctx: &Ctx) -> Result<HandlerFuture, Rejection>;
}

/// A handler and the filter it is guarded by.
pub(crate) struct Guarded<H, Args> {
    pub(crate) handler: H,
    pub(crate) filter: Option<Filter>,
    pub(crate) args: PhantomData<fn(Args)>,
}

impl<H: Handler<Args>, Args: 'static> Route for Guarded<H, Args> {
    fn start(&self, ctx: &Ctx) -> Result<HandlerFuture, Rejection> {
        if let Some(filter) = &self.filter
            && !filter.test(ctx)
        {
            return Err(Rejection::Skip);
        }
        self.handler.call(ctx)
    }
}
