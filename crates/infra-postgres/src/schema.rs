// The Diesel schema, kept by hand beside migrations/postgres. `events.search_vector` (a generated
// tsvector) is left out: it is only ever queried with bound SQL.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        full_name -> Nullable<Text>,
        avatar -> Nullable<Text>,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        role -> Text,
        banned_at -> Nullable<Timestamp>,
        banned_until -> Nullable<Timestamp>,
        ban_reason -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
        locale -> Text,
        email_verified_at -> Nullable<Timestamp>,
        email_notifications -> Text,
        time_zone -> Text,
        notification_mail_cursor -> BigInt,
        notification_mail_due_at -> Nullable<Timestamp>,
        notification_mailed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    modlog (id) {
        id -> BigInt,
        moderator_id -> Nullable<BigInt>,
        action -> Text,
        role -> Nullable<Text>,
        target_kind -> Text,
        target_id -> BigInt,
        reason -> Nullable<Text>,
        until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        name -> Text,
        event_time -> Timestamp,
        description -> Text,
        duration_hours -> BigInt,
        duration_minutes -> BigInt,
        tickets_sold -> BigInt,
        max_tickets -> BigInt,
        owner_id -> BigInt,
        created_at -> Timestamp,
        venue -> Nullable<Text>,
        address -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        online_url -> Nullable<Text>,
        image -> Nullable<Text>,
        image_alt -> Nullable<Text>,
        search_tokens -> Array<Text>,
        revision -> BigInt,
        changed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> BigInt,
        secret_digest -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        title -> Text,
        content -> Text,
        owner_id -> BigInt,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        content -> Text,
        event_id -> BigInt,
        owner_id -> BigInt,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        seq -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        message -> Text,
        created_at -> Timestamp,
        sender -> Text,
        sender_id -> BigInt,
        owner_id -> BigInt,
        event_id -> Nullable<BigInt>,
        is_read -> Bool,
        kind -> Text,
        event_name -> Nullable<Text>,
        quantity -> Nullable<BigInt>,
        event_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    event_participants (event_id, user_id) {
        event_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    comment_totals (event_id) {
        event_id -> BigInt,
        comments -> BigInt,
    }
}

diesel::table! {
    inbox_counts (owner_id) {
        owner_id -> BigInt,
        total -> BigInt,
        unread -> BigInt,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        status -> Text,
        last_error -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        unsubscribe_url -> Nullable<Text>,
        attachment_name -> Nullable<Text>,
        attachment_type -> Nullable<Text>,
        attachment_body -> Nullable<Text>,
    }
}

diesel::table! {
    mail_scan (id) {
        id -> Integer,
        last_notification_id -> BigInt,
    }
}

diesel::table! {
    email_verifications (token_digest) {
        token_digest -> Text,
        user_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (token_digest) {
        token_digest -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        device -> Text,
        remember -> Bool,
        signed_in_at -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        generation -> BigInt,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    calendar_feeds,
    mail_outbox,
    mail_scan,
    email_verifications,
    password_resets,
    users,
    events,
    posts,
    comments,
    comment_totals,
    notifications,
    inbox_counts,
    sessions,
    event_participants,
    modlog
);
