//! End-to-end journeys in headless Chromium (filled in below).
