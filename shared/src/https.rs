//! Classroom mode (`HTTPS=1`): browsers give the camera only to secure pages, and a
//! page from another machine on the network is secure only over HTTPS. This makes a
//! self-signed certificate at start-up, for this machine's names and addresses.

use std::net::IpAddr;

use axum_server::tls_rustls::RustlsConfig;

/// Whether `HTTPS` asks for classroom mode (`1`, `true` or `yes`).
pub(crate) fn requested() -> bool {
    std::env::var("HTTPS").is_ok_and(|value| matches!(value.as_str(), "1" | "true" | "yes"))
}

/// This machine's addresses on its networks, as other machines would use them.
pub(crate) fn network_addresses() -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| ip.is_ipv4() && !ip.is_loopback())
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// A new self-signed certificate for `localhost`, 127.0.0.1 and every network address.
///
/// Nobody vouches for it, so browsers warn ("Your connection is not private"), again
/// after each restart; the traffic is still encrypted, and the page counts as secure.
pub(crate) async fn self_signed() -> Result<RustlsConfig, String> {
    // rustls can use several cryptography libraries; this workspace builds `ring`.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut names = vec![String::from("localhost"), String::from("127.0.0.1")];
    names.extend(network_addresses().iter().map(IpAddr::to_string));
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|error| format!("cannot make a certificate: {error}"))?;
    let certificate = certified.cert.pem().into_bytes();
    let key = certified.signing_key.serialize_pem().into_bytes();
    RustlsConfig::from_pem(certificate, key)
        .await
        .map_err(|error| format!("cannot use the certificate: {error}"))
}
