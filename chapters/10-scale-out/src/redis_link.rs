//! The line from this server to Redis, as the Socket.IO Redis adapter uses it.
//!
//! socketioxide-redis asks a *driver* for four things: publish a message on a channel,
//! subscribe to a channel, unsubscribe, and count the servers listening on a channel.
//! Its own driver keeps one connection for the life of the server, so after a Redis
//! restart the servers never hear each other again. This one uses redis-rs's
//! `ConnectionManager`, which reconnects and subscribes again to every channel, and
//! [`RedisLink::watch`] checks on Redis every second so that the reconnection happens
//! at once and the outage shows in the log.
//!
//! While Redis is away, this driver answers as if this server were alone: a publish is
//! dropped at once (socketioxide-redis would otherwise skip the local delivery too,
//! after waiting for Redis), and the count of servers is one (so no question waits for
//! answers that cannot come). People on the same server go on chatting without delay;
//! what crosses between servers is lost until Redis is back.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{
    PushInfo, PushKind, RedisError,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Where the messages of each subscribed channel go: the adapter's stream for it.
type Subscribers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Clone)]
pub struct RedisLink {
    connection: ConnectionManager,
    subscribers: Subscribers,
    /// False from the first failed command until a check finds Redis again.
    reachable: Arc<AtomicBool>,
}

/// How long one Redis command may take while Redis is away before it fails.
const REDIS_PATIENCE: Duration = Duration::from_secs(1);

impl RedisLink {
    /// Connects to Redis at `url` (e.g. `redis://127.0.0.1:6379`).
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        // The adapter's messages arrive as RESP3 "push" messages (Redis 6.0 and newer).
        let url = if url.contains("protocol=") {
            url.to_owned()
        } else {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}protocol=resp3")
        };
        let client = redis::Client::open(url)?;
        let subscribers = Subscribers::default();
        let deliver = {
            let subscribers = subscribers.clone();
            move |push: PushInfo| {
                deliver(push, &subscribers);
                Ok::<(), Infallible>(())
            }
        };
        let config = ConnectionManagerConfig::new()
            .set_push_sender(deliver)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(REDIS_PATIENCE))
            .set_response_timeout(Some(REDIS_PATIENCE))
            .set_number_of_retries(1);
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(Self {
            connection,
            subscribers,
            reachable: Arc::new(AtomicBool::new(true)),
        })
    }

    fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// A command failed: from now on, answer as if alone until [`RedisLink::watch`]
    /// finds Redis again.
    fn lost(&self, error: &RedisError) {
        if self.reachable.swap(false, Ordering::Relaxed) {
            warn!(
                "Redis is unreachable ({error}). Each server goes on serving its own \
                 browsers; what crosses between servers is lost until Redis is back."
            );
        }
    }

    /// Checks on Redis every second, for as long as the server runs: a failed check
    /// makes the connection manager reconnect (and subscribe again), and the log says
    /// when Redis goes away and when it is back.
    pub async fn watch(self) {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let answer: Result<String, RedisError> = redis::cmd("PING")
                .query_async(&mut self.connection.clone())
                .await;
            match answer {
                Err(error) => self.lost(&error),
                Ok(_) if !self.reachable.swap(true, Ordering::Relaxed) => {
                    info!("Redis is back: the servers share rooms again.");
                }
                Ok(_) => {}
            }
        }
    }
}

/// Hands one message from Redis to the adapter stream of its channel.
fn deliver(push: PushInfo, subscribers: &Subscribers) {
    if !matches!(push.kind, PushKind::Message) {
        return; // subscription confirmations, pongs, disconnect notices
    }
    let mut data = push.data.into_iter();
    let (Some(channel), Some(message)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(channel), Ok(message)) = (
        redis::from_redis_value::<String>(channel),
        redis::from_redis_value::<Vec<u8>>(message),
    ) else {
        return;
    };
    if let Some(stream) = subscribers.read().unwrap().get(&channel)
        && stream.try_send((channel, message)).is_err()
    {
        warn!("the Socket.IO adapter is not keeping up with Redis: a message was dropped");
    }
}

impl Driver for RedisLink {
    type Error = RedisError;

    /// Never fails: while Redis is away the message is dropped, so that the adapter
    /// still delivers it to this server's own browsers.
    async fn publish(&self, channel: String, message: Vec<u8>) -> Result<(), RedisError> {
        if !self.reachable() {
            return Ok(());
        }
        let sent: Result<usize, RedisError> = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(message)
            .query_async(&mut self.connection.clone())
            .await;
        if let Err(error) = sent {
            self.lost(&error);
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        channel: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, RedisError> {
        let (sender, receiver) = mpsc::channel(size);
        self.subscribers
            .write()
            .unwrap()
            .insert(channel.clone(), sender);
        self.connection.clone().subscribe(channel).await?;
        Ok(MessageStream::new(receiver))
    }

    async fn unsubscribe(&self, channel: String) -> Result<(), RedisError> {
        self.subscribers.write().unwrap().remove(&channel);
        self.connection.clone().unsubscribe(channel).await
    }

    /// While Redis is away, this server counts itself only: the adapter then waits
    /// for no answers from the others.
    async fn num_serv(&self, channel: &str) -> Result<u16, RedisError> {
        if !self.reachable() {
            return Ok(1);
        }
        let counted: Result<(String, u16), RedisError> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut self.connection.clone())
            .await;
        match counted {
            Ok((_channel, count)) => Ok(count),
            Err(error) => {
                self.lost(&error);
                Ok(1)
            }
        }
    }
}
