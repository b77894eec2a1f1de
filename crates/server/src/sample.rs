//! `plaza init-db --sample-data`: a small, believable community, created through the use cases so that
//! everything a user would cause (ticket sales, comment notifications) happens as it would for real.

use anyhow::{Context, anyhow};
use chrono::{Duration, DurationRound, Utc};
use plaza_app::events::EventDraft;
use plaza_app::users::Profile;
use plaza_app::{AppError, Services};
use plaza_domain::comment::{Comment, CommentContent};
use plaza_domain::event::{
    Capacity, DurationHours, DurationMinutes, Event, EventDescription, EventName, MaxTickets, TicketQuantity,
};
use plaza_domain::modlog::ModReason;
use plaza_domain::place::{Address, Coordinates, OnlineUrl, Place, Venue};
use plaza_domain::post::{Post, PostChanges, PostContent, PostTitle};
use plaza_domain::role::Role;
use plaza_domain::user::{Email, FullName, Password, User, Username};
use plaza_domain::{Conflict, Invalid};

/// The password of every sample account. For development only: documented in README.md.
pub const SAMPLE_PASSWORD: &str = "plaza-sample-pw";

fn valid<T>(value: Result<T, Invalid>) -> anyhow::Result<T> {
    value.map_err(|invalid| anyhow!("sample data is invalid: {invalid}"))
}

/// Keeps the cause chain: `internal error` alone would tell an operator nothing.
fn app(error: AppError) -> anyhow::Error {
    anyhow::Error::new(error)
}

fn register(services: &Services, username: &str, full_name: &str) -> anyhow::Result<Result<User, AppError>> {
    let profile = Profile {
        username: valid(Username::parse(username))?,
        email: valid(Email::parse(format!("{username}@example.org")))?,
        full_name: Some(valid(FullName::parse(full_name))?),
        locale: None,
        notification_mail: None,
        time_zone: None,
    };
    Ok(services
        .users
        .register(profile, &valid(Password::parse(SAMPLE_PASSWORD))?))
}

fn user(services: &Services, username: &str, full_name: &str) -> anyhow::Result<User> {
    register(services, username, full_name)?.map_err(app)
}

fn event(
    services: &Services,
    owner: &User,
    name: &str,
    description: &str,
    (days_ahead, hours): (i64, i64),
    max_tickets: i64,
    place: Place,
) -> anyhow::Result<Event> {
    let start = Utc::now()
        .duration_trunc(Duration::hours(1))
        .map_err(|e| anyhow!("{e}"))?
        + Duration::days(days_ahead);
    let draft = EventDraft {
        name: valid(EventName::parse(name))?,
        event_time: start,
        description: valid(EventDescription::parse(description))?,
        duration_hours: valid(DurationHours::parse(hours))?,
        duration_minutes: valid(DurationMinutes::parse(0))?,
        capacity: valid(Capacity::new(0, valid(MaxTickets::parse(max_tickets))?))?,
        place,
    };
    services.events.create(owner, draft).map_err(app)
}

/// A place with a venue and an address, and a point on the map when `at` gives one.
fn venue(name: &str, address: &str, at: Option<(f64, f64)>) -> anyhow::Result<Place> {
    Ok(Place {
        venue: Some(valid(Venue::parse(name))?),
        address: Some(valid(Address::parse(address))?),
        coordinates: match at {
            Some((latitude, longitude)) => Some(
                Coordinates::new(latitude, longitude)
                    .map_err(|(field, invalid)| anyhow!("sample {field} is invalid: {invalid}"))?,
            ),
            None => None,
        },
        online_url: None,
    })
}

fn online(link: &str) -> anyhow::Result<Place> {
    Ok(Place {
        online_url: Some(valid(OnlineUrl::parse(link))?),
        ..Place::default()
    })
}

fn buy(services: &Services, buyer: &User, event: &Event, quantity: i64) -> anyhow::Result<Event> {
    services
        .events
        .purchase(buyer, event.id, valid(TicketQuantity::parse(quantity))?)
        .map_err(app)
}

fn comment(services: &Services, author: &User, event: &Event, text: &str) -> anyhow::Result<Comment> {
    Ok(services
        .comments
        .post(author, event.id, valid(CommentContent::parse(text))?)
        .map_err(app)?
        .comment)
}

fn post(services: &Services, author: &User, title: &str, content: &str) -> anyhow::Result<Post> {
    services
        .posts
        .create(
            author,
            valid(PostTitle::parse(title))?,
            valid(PostContent::parse(content))?,
        )
        .map_err(app)
}

/// Loads the sample, once: when its first user already exists, it leaves the database as it is.
pub fn load(services: &Services) -> anyhow::Result<()> {
    let alice = match register(services, "alice", "Alice Liddell")? {
        Err(AppError::Conflict(Conflict::UsernameTaken | Conflict::EmailTaken)) => {
            tracing::info!("sample data is already present; nothing to do");
            return Ok(());
        }
        other => other.map_err(app).context("creating the sample users")?,
    };
    let bob = user(services, "bob", "Bob Marley")?;
    let carol = user(services, "carol", "Carol Shaw")?;
    let dave = user(services, "dave", "")?;
    // Alice runs the community and has asked Carol to moderate: the sample shows roles, and the moderation
    // log has entries for a copy to keep.
    services
        .moderation
        .set_role_from_console("alice", Role::Admin)
        .map_err(app)?;
    let alice = User {
        role: Role::Admin,
        ..alice
    };
    services
        .moderation
        .set_role(
            &alice,
            carol.id,
            Role::Moderator,
            Some(valid(ModReason::parse("Knows the pottery crowd"))?),
        )
        .map_err(app)?;

    let meetup = event(
        services,
        &alice,
        "Rust meetup",
        "Monthly meetup: two talks on async Rust and SQLite, then pizza.",
        (7, 3),
        40,
        venue(
            "Café Central",
            "Herrengasse 14\n1010 Wien",
            Some((48.210_33, 16.365_38)),
        )?,
    )?;
    buy(services, &bob, &meetup, 12)?;
    let cinema = event(
        services,
        &bob,
        "Open-air cinema",
        "Classic films under the stars. Bring a blanket.",
        (14, 2),
        20,
        venue("Stadtpark meadow", "Johannesgasse 33\n1010 Wien", None)?,
    )?;
    buy(services, &carol, &cinema, 20)?; // sold out
    let workshop = event(
        services,
        &carol,
        "Pottery workshop",
        "Hands-on, beginners welcome; all clay provided.",
        (3, 4),
        8,
        venue("Clay Studio", "Gumpendorfer Straße 10\n1060 Wien", None)?,
    )?;
    buy(services, &alice, &workshop, 5)?;
    buy(services, &dave, &workshop, 3)?; // sold out
    event(
        services,
        &dave,
        "Board game night",
        "Catan, Carcassonne and whatever you bring.",
        (10, 5),
        30,
        Place::default(),
    )?;
    event(
        services,
        &alice,
        "Meetup planning call",
        "Open planning for next quarter's meetups.",
        (21, 1),
        0,
        online("https://meet.example.org/plaza-planning")?,
    )?;

    comment(
        services,
        &bob,
        &meetup,
        "Count me in — will there be a talk on Diesel?",
    )?;
    comment(
        services,
        &carol,
        &meetup,
        "Looking forward to it! Is the venue step-free?",
    )?;
    comment(
        services,
        &alice,
        &meetup,
        "Yes to both: a Diesel talk, and the venue is step-free.",
    )?;
    let question = comment(services, &alice, &cinema, "Which film is frist?")?;
    // Edited after it was written (a typo), so that the sample shows (and a copy must keep) `edited_at`.
    services
        .comments
        .edit(
            &alice,
            cinema.id,
            question.id,
            valid(CommentContent::parse("Which film is first?"))?,
        )
        .map_err(app)?;
    comment(
        services,
        &dave,
        &workshop,
        "Sold out already? Please add a second date!",
    )?;

    post(
        services,
        &alice,
        "Welcome to Plaza",
        "This is where our community plans, meets and talks. Say hello!",
    )?;
    post(
        services,
        &bob,
        "Cinema season announced",
        "Six Friday nights of classics, starting next month.",
    )?;
    let tips = post(
        services,
        &carol,
        "Pottery tips",
        "Wedge your clay well: air bubbles are what crack in the kiln.",
    )?;
    // One post edited after it was written, so that the sample shows (and a copy must keep) `edited_at`.
    services
        .posts
        .update(
            &carol,
            tips.id,
            PostChanges {
                title: None,
                content: Some(valid(PostContent::parse(
                    "Wedge your clay well: air bubbles are what crack in the kiln. And let pieces dry slowly.",
                ))?),
            },
        )
        .map_err(app)?;

    tracing::info!(
        users = 4,
        events = 5,
        comments = 5,
        posts = 3,
        "sample data loaded (the password of the sample accounts is in README.md)"
    );
    Ok(())
}
