"""The demo shop through mParticle's Web SDK and its Braze kit (npm `@mparticle/web-sdk`, `@mparticle/web-braze-kit`)."""
