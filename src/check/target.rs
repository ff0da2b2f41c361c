//! The environment a script is meant to run in, and what that implies for the shell.

use std::fmt;
use std::str::FromStr;

/// Where a checked script runs. The tokens match the catalog's environment tokens and the
/// manifest's `target` field, except `exchange2003`, which has no shell to check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Exchange2007,
    Exchange2010,
    Exchange2013,
    Exchange2016,
    Exchange2019,
    ExchangeSE,
    ExchangeOnline,
    Graph,
    /// BitTitan's module (MigrationWiz) in Windows PowerShell 5.1 on the jump box.
    BitTitan,
}

/// The oldest PowerShell a target's scripts must run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PsVersion {
    V1,
    V2,
    V3,
    V4,
    V5,
    V6,
    V7,
}

impl PsVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            PsVersion::V1 => "1.0",
            PsVersion::V2 => "2.0",
            PsVersion::V3 => "3.0",
            PsVersion::V4 => "4.0",
            PsVersion::V5 => "5.0",
            PsVersion::V6 => "6.0",
            PsVersion::V7 => "7.0",
        }
    }
}

impl Target {
    pub const ALL: [Target; 9] = [
        Target::Exchange2007,
        Target::Exchange2010,
        Target::Exchange2013,
        Target::Exchange2016,
        Target::Exchange2019,
        Target::ExchangeSE,
        Target::ExchangeOnline,
        Target::Graph,
        Target::BitTitan,
    ];

    pub fn token(self) -> &'static str {
        match self {
            Target::Exchange2007 => "exchange2007",
            Target::Exchange2010 => "exchange2010",
            Target::Exchange2013 => "exchange2013",
            Target::Exchange2016 => "exchange2016",
            Target::Exchange2019 => "exchange2019",
            Target::ExchangeSE => "exchangeSE",
            Target::ExchangeOnline => "exchangeOnline",
            Target::Graph => "graph",
            Target::BitTitan => "bittitan",
        }
    }

    /// The catalog environment whose cmdlet lists apply. Microsoft's current docs start at
    /// Exchange 2010, so 2007 borrows 2010's lists (and the checker says so once per file).
    pub fn catalog_env(self) -> &'static str {
        match self {
            Target::Exchange2007 => "exchange2010",
            other => other.token(),
        }
    }

    /// The shell the target's scripts run in, at its oldest: Exchange 2007's management shell
    /// may still be Windows PowerShell 1.0 (it shipped on 1.0; 2.0 is an optional update), 2010's
    /// is 2.0; later on-premises versions run on Windows PowerShell, never PowerShell 6+;
    /// jump-box steps may use pwsh 7.
    pub fn min_shell(self) -> PsVersion {
        match self {
            Target::Exchange2007 => PsVersion::V1,
            Target::Exchange2010 => PsVersion::V2,
            Target::Exchange2013
            | Target::Exchange2016
            | Target::Exchange2019
            | Target::ExchangeSE
            // BitTitanManagement needs Windows PowerShell 5.1 (not PowerShell 7).
            | Target::BitTitan => PsVersion::V5,
            Target::ExchangeOnline | Target::Graph => PsVersion::V7,
        }
    }

    /// The shell as the manifest names it, for messages.
    pub fn shell_label(self) -> &'static str {
        match self.min_shell() {
            PsVersion::V1 => "Windows PowerShell 1.0",
            PsVersion::V2 => "Windows PowerShell 2.0",
            PsVersion::V7 => "PowerShell 7",
            _ => "Windows PowerShell 5.1",
        }
    }

    /// Whether the script talks to the cloud rather than to an on-premises server.
    pub fn is_cloud(self) -> bool {
        matches!(
            self,
            Target::ExchangeOnline | Target::Graph | Target::BitTitan
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// Why a target token was refused; the message is meant for the user as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError(pub String);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TargetError {}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        if let Some(t) = Target::ALL
            .iter()
            .find(|t| t.token().eq_ignore_ascii_case(wanted))
        {
            return Ok(*t);
        }
        if wanted.eq_ignore_ascii_case("exchange2003") {
            return Err(TargetError(
                "exchange2003 has no shell to check against: Exchange 2003 has no Exchange \
                 Management Shell (it arrived with Exchange 2007); its administration is done in \
                 Exchange System Manager and Active Directory Users and Computers"
                    .into(),
            ));
        }
        let tokens: Vec<&str> = Target::ALL.iter().map(|t| t.token()).collect();
        Err(TargetError(format!(
            "unknown target '{wanted}': expected one of {}",
            tokens.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_round_trips() {
        for t in Target::ALL {
            assert_eq!(t.token().parse::<Target>(), Ok(t));
        }
        assert_eq!(
            "EXCHANGEONLINE".parse::<Target>(),
            Ok(Target::ExchangeOnline)
        );
    }

    #[test]
    fn exchange2003_is_refused_with_the_reason() {
        let err = "exchange2003".parse::<Target>().unwrap_err();
        assert!(err.0.contains("no Exchange Management Shell"), "{err}");
        let err = "exchange2000".parse::<Target>().unwrap_err();
        assert!(err.0.contains("exchangeOnline"), "{err}");
    }
}
