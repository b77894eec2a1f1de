//! Who looks after the community: roles, given by admins (or from the command line), and the public log
//! of every act of moderation.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::modlog::{ModLogEntry, ModLogRepository, ModReason, RoleChange};
use plaza_domain::role::Role;
use plaza_domain::user::{BanOrder, BanReason, User, UserRepository};
use plaza_domain::{Conflict, Page, PageRequest, RepoError, UserId, ValidationErrors};

use crate::error::{AppError, Found, OrNotFound};

/// What [`ModerationService::set_role`] answers a caller who is not an admin.
pub const ONLY_ADMINS_SET_ROLES: &str = "only an admin may change someone's role";
/// What a ban or its lifting answers a member.
pub const ONLY_MODERATORS_BAN: &str = "only a moderator or an admin may ban or lift a ban";
/// What a moderator hears who acts on a moderator or an admin.
pub const NOT_ABOVE_THEM: &str =
    "a moderator may ban only members; moderators and admins are banned by an admin";
/// What anyone hears who would ban (or lift the ban of) an admin.
pub const NOBODY_BANS_ADMINS: &str =
    "nobody bans an admin: an admin makes them a member or a moderator first";
/// What a moderator hears who would ban themself.
pub const NOT_YOURSELF: &str = "you cannot ban yourself";

/// Why a ban on someone of `role` is refused to a moderator or an admin who may not give it.
pub(crate) fn out_of_reach(role: Role) -> &'static str {
    if role == Role::Admin {
        NOBODY_BANS_ADMINS
    } else {
        NOT_ABOVE_THEM
    }
}

#[derive(Clone)]
pub struct ModerationService {
    users: Arc<dyn UserRepository>,
    modlog: Arc<dyn ModLogRepository>,
    bus: Arc<dyn NotificationBus>,
}

impl ModerationService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        modlog: Arc<dyn ModLogRepository>,
        bus: Arc<dyn NotificationBus>,
    ) -> Self {
        Self { users, modlog, bus }
    }

    /// Bans `target` as `actor` (a moderator banning a member, or an admin a member or a moderator),
    /// until `until` (`None`: until lifted), which must lie ahead. Their requests are refused from the
    /// next one on, on every instance, and their open streams end. A missing user is `NotFound` whoever
    /// asks.
    pub fn ban(
        &self,
        actor: &User,
        target: UserId,
        reason: BanReason,
        until: Option<DateTime<Utc>>,
    ) -> Result<User, AppError> {
        let at = crate::stored_now();
        // Kept to the millisecond, as every store keeps times.
        let until = until.map(|until| until.trunc_subsecs(3));
        if until.is_some_and(|until| until <= at) {
            return Err(ValidationErrors::single("until", "must be in the future").into());
        }
        if target == actor.id {
            return Err(AppError::Forbidden(NOT_YOURSELF));
        }
        self.may_act_on(actor, target)?;
        let user = self
            .users
            .ban(BanOrder {
                user: target,
                by: actor.id,
                by_role: actor.role,
                reason,
                until,
                at,
            })
            .map_err(|error| match error {
                // Promoted since `may_act_on` looked: as out of reach as if they had been then.
                RepoError::Conflict(Conflict::OutOfReach) => AppError::Forbidden(NOT_ABOVE_THEM),
                RepoError::NotFound => AppError::NotFound("user"),
                other => other.into(),
            })?;
        // Streams re-check their token at once, here and on every other instance.
        self.bus.publish(&[Signal::Credentials(target)]);
        Ok(user)
    }

    /// Lifts `target`'s ban, as a moderator (of a member) or an admin (of a member or a moderator);
    /// without a ban, nothing changes.
    pub fn lift_ban(&self, actor: &User, target: UserId) -> Result<User, AppError> {
        self.may_act_on(actor, target)?;
        self.users
            .lift_ban(target, actor.id, crate::stored_now())
            .or_not_found("user")
    }

    /// The user `target`, when `actor` may ban them: `NotFound` first (users are public), then `Forbidden`
    /// for a member, a moderator acting on a moderator or an admin, or anyone on an admin.
    fn may_act_on(&self, actor: &User, target: UserId) -> Result<User, AppError> {
        let user = self.account(target)?;
        if !actor.role.moderates() {
            return Err(AppError::Forbidden(ONLY_MODERATORS_BAN));
        }
        if !actor.role.may_ban(user.role) {
            return Err(AppError::Forbidden(out_of_reach(user.role)));
        }
        Ok(user)
    }

    /// Gives `target` the role `role`, as `actor`, who must be an admin; logged with `reason`. A missing
    /// user is `NotFound` whoever asks (users are public); the last admin cannot step down
    /// (`Conflict::LastAdmin`).
    pub fn set_role(
        &self,
        actor: &User,
        target: UserId,
        role: Role,
        reason: Option<ModReason>,
    ) -> Result<User, AppError> {
        self.account(target)?;
        if !actor.role.administers() {
            return Err(AppError::Forbidden(ONLY_ADMINS_SET_ROLES));
        }
        self.change(RoleChange {
            user: target,
            role,
            by: Some(actor.id),
            reason,
        })
    }

    /// Gives the user named `username` the role `role` from the command line (`plaza admin set-role`):
    /// how the first admin is made. Logged without a moderator.
    pub fn set_role_from_console(&self, username: &str, role: Role) -> Result<User, AppError> {
        let user = self.users.find_by_username(username).found("user")?;
        self.change(RoleChange {
            user: user.id,
            role,
            by: None,
            reason: None,
        })
    }

    /// `target`'s account; a deleted one is as gone as a missing one: nobody moderates it any more.
    fn account(&self, target: UserId) -> Result<User, AppError> {
        self.users
            .find(target)
            .map(|user| user.filter(|user| !user.is_deleted()))
            .found("user")
    }

    fn change(&self, change: RoleChange) -> Result<User, AppError> {
        self.users.set_role(change).or_not_found("user")
    }

    /// The users who hold `role`, in id order.
    pub fn holders(&self, role: Role, page: PageRequest) -> Result<Page<User>, AppError> {
        Ok(self.users.list_by_role(role, page)?)
    }

    /// The moderation log, newest first.
    pub fn log(&self, page: PageRequest) -> Result<Page<ModLogEntry>, AppError> {
        Ok(self.modlog.list(page)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::modlog::MockModLogRepository;
    use plaza_domain::user::MockUserRepository;

    fn someone(id: i64, role: Role) -> User {
        User {
            role,
            ..crate::users::tests::user(id, &format!("user{id}"))
        }
    }

    fn service(users: MockUserRepository) -> ModerationService {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        service_with_bus(users, bus)
    }

    fn service_with_bus(users: MockUserRepository, bus: MockNotificationBus) -> ModerationService {
        ModerationService::new(
            Arc::new(users),
            Arc::new(MockModLogRepository::new()),
            Arc::new(bus),
        )
    }

    fn reason() -> BanReason {
        BanReason::parse("spam").unwrap()
    }

    /// A store whose users hold the roles given by id.
    fn users_with_roles(roles: &'static [(i64, Role)]) -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users.expect_find().returning(move |id| {
            Ok(roles
                .iter()
                .find(|(known, _)| *known == id.get())
                .map(|(known, role)| someone(*known, *role)))
        });
        users
    }

    #[test]
    fn a_moderator_bans_a_member_whose_streams_are_told_at_once() {
        let mut users = users_with_roles(&[(1, Role::Moderator), (2, Role::Member)]);
        users
            .expect_ban()
            .withf(|order| {
                order.user.get() == 2
                    && order.by.get() == 1
                    && order.reason.as_str() == "spam"
                    && order.until.is_none()
            })
            .times(1)
            .returning(|order| Ok(someone(order.user.get(), Role::Member)));
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals| signals == [Signal::Credentials(UserId::from_stored(2))])
            .times(1)
            .return_const(());
        service_with_bus(users, bus)
            .ban(
                &someone(1, Role::Moderator),
                UserId::from_stored(2),
                reason(),
                None,
            )
            .unwrap();
    }

    #[test]
    fn no_route_lets_a_moderator_act_on_a_moderator_or_an_admin() {
        const ROLES: &[(i64, Role)] = &[
            (1, Role::Moderator),
            (2, Role::Moderator),
            (3, Role::Admin),
            (4, Role::Member),
        ];
        let moderation = service(users_with_roles(ROLES));
        let moderator = someone(1, Role::Moderator);
        for (target, why) in [(2, NOT_ABOVE_THEM), (3, NOBODY_BANS_ADMINS)] {
            let target = UserId::from_stored(target);
            assert!(matches!(
                moderation.ban(&moderator, target, reason(), None),
                Err(AppError::Forbidden(refusal)) if refusal == why
            ));
            assert!(matches!(
                moderation.lift_ban(&moderator, target),
                Err(AppError::Forbidden(refusal)) if refusal == why
            ));
            assert!(matches!(
                moderation.set_role(&moderator, target, Role::Member, None),
                Err(AppError::Forbidden(ONLY_ADMINS_SET_ROLES))
            ));
        }
        let member = someone(4, Role::Member);
        assert!(matches!(
            moderation.ban(&member, UserId::from_stored(1), reason(), None),
            Err(AppError::Forbidden(ONLY_MODERATORS_BAN))
        ));
        assert!(matches!(
            moderation.ban(&moderator, UserId::from_stored(1), reason(), None),
            Err(AppError::Forbidden(NOT_YOURSELF)),
        ));
        assert!(matches!(
            moderation.ban(&member, UserId::from_stored(99), reason(), None),
            Err(AppError::NotFound("user"))
        ));
    }

    #[test]
    fn an_admin_bans_no_admin_not_even_themself_and_only_until_a_time_ahead() {
        const ROLES: &[(i64, Role)] = &[(1, Role::Admin), (2, Role::Admin), (3, Role::Moderator)];
        let mut users = users_with_roles(ROLES);
        users.expect_ban().never();
        users.expect_lift_ban().never();
        let moderation = service(users);
        let admin = someone(1, Role::Admin);
        assert!(matches!(
            moderation.ban(&admin, UserId::from_stored(1), reason(), None),
            Err(AppError::Forbidden(NOT_YOURSELF))
        ));
        assert!(matches!(
            moderation.ban(&admin, UserId::from_stored(2), reason(), None),
            Err(AppError::Forbidden(NOBODY_BANS_ADMINS))
        ));
        assert!(matches!(
            moderation.lift_ban(&admin, UserId::from_stored(2)),
            Err(AppError::Forbidden(NOBODY_BANS_ADMINS))
        ));
        let past = Utc::now() - chrono::Duration::seconds(1);
        match moderation.ban(&admin, UserId::from_stored(3), reason(), Some(past)) {
            Err(AppError::Validation(errors)) => assert_eq!(errors.0[0].field, "until"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_member_promoted_while_a_moderator_bans_them_is_out_of_reach() {
        let mut users = users_with_roles(&[(1, Role::Moderator), (2, Role::Member)]);
        users
            .expect_ban()
            .withf(|order| order.by_role == Role::Moderator)
            .returning(|_| Err(RepoError::Conflict(Conflict::OutOfReach)));
        let refused = service(users).ban(
            &someone(1, Role::Moderator),
            UserId::from_stored(2),
            reason(),
            None,
        );
        assert!(
            matches!(refused, Err(AppError::Forbidden(NOT_ABOVE_THEM))),
            "{refused:?}"
        );
    }

    #[test]
    fn an_admin_bans_a_moderator() {
        const ROLES: &[(i64, Role)] = &[(1, Role::Admin), (3, Role::Moderator)];
        let mut users = users_with_roles(ROLES);
        users
            .expect_ban()
            .times(1)
            .returning(|order| Ok(someone(order.user.get(), Role::Moderator)));
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().times(1).return_const(());
        service_with_bus(users, bus)
            .ban(&someone(1, Role::Admin), UserId::from_stored(3), reason(), None)
            .unwrap();
    }

    #[test]
    fn an_admin_sets_a_role_logged_as_theirs() {
        let mut users = MockUserRepository::new();
        users
            .expect_find()
            .returning(|id| Ok(Some(someone(id.get(), Role::Member))));
        users
            .expect_set_role()
            .withf(|change| {
                change.user.get() == 2
                    && change.role == Role::Moderator
                    && change.by == Some(UserId::from_stored(1))
                    && change.reason.as_ref().map(|reason| reason.as_str()) == Some("helps a lot")
            })
            .times(1)
            .returning(|change| Ok(someone(change.user.get(), change.role)));
        let changed = service(users)
            .set_role(
                &someone(1, Role::Admin),
                UserId::from_stored(2),
                Role::Moderator,
                Some(ModReason::parse("helps a lot").unwrap()),
            )
            .unwrap();
        assert_eq!(changed.role, Role::Moderator);
    }

    #[test]
    fn nobody_but_an_admin_sets_roles_and_a_missing_user_is_not_found_first() {
        for role in [Role::Member, Role::Moderator] {
            let mut users = MockUserRepository::new();
            users
                .expect_find()
                .returning(|id| Ok(Some(someone(id.get(), Role::Member))));
            users.expect_set_role().never();
            let refused =
                service(users).set_role(&someone(1, role), UserId::from_stored(2), Role::Admin, None);
            assert!(
                matches!(refused, Err(AppError::Forbidden(ONLY_ADMINS_SET_ROLES))),
                "{role}"
            );
        }
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(None));
        users.expect_set_role().never();
        let missing = service(users).set_role(
            &someone(1, Role::Member),
            UserId::from_stored(9),
            Role::Admin,
            None,
        );
        assert!(matches!(missing, Err(AppError::NotFound("user"))));
    }

    #[test]
    fn the_last_admin_conflict_reaches_the_caller() {
        let mut users = MockUserRepository::new();
        users
            .expect_find()
            .returning(|id| Ok(Some(someone(id.get(), Role::Admin))));
        users
            .expect_set_role()
            .returning(|_| Err(RepoError::Conflict(Conflict::LastAdmin)));
        let refused = service(users).set_role(
            &someone(1, Role::Admin),
            UserId::from_stored(1),
            Role::Member,
            None,
        );
        assert!(matches!(refused, Err(AppError::Conflict(Conflict::LastAdmin))));
    }

    #[test]
    fn the_console_names_the_user_and_logs_no_moderator() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .withf(|name| name == "alice")
            .returning(|_| Ok(Some(someone(3, Role::Member))));
        users
            .expect_set_role()
            .withf(|change| change.user.get() == 3 && change.by.is_none() && change.role == Role::Admin)
            .times(1)
            .returning(|change| Ok(someone(change.user.get(), change.role)));
        let moderation = service(users);
        assert_eq!(
            moderation
                .set_role_from_console("alice", Role::Admin)
                .unwrap()
                .role,
            Role::Admin
        );

        let mut users = MockUserRepository::new();
        users.expect_find_by_username().returning(|_| Ok(None));
        let missing = service(users).set_role_from_console("nobody", Role::Admin);
        assert!(matches!(missing, Err(AppError::NotFound("user"))));
    }
}
