//! Chapter 9's signaling relay over real Socket.IO connections (the same server as
//! chapter 8; the browser side is tested in tests/node/webrtc/).

mod signaling;

signaling::relay_tests!(chapter_09);
