import type Docker from 'dockerode';

/** The project's offline base image (deploy/docker/build-offline-base.sh): the tests' containers run it. */
export const OFFLINE_BASE_IMAGE = 'redoubt/offline-base:bookworm';

/** Fails, saying what to do, unless the Docker Engine answers and has `image` (nothing is pulled). */
export async function requireDockerEngine(docker: Docker, image = OFFLINE_BASE_IMAGE): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `the Docker Engine is not reachable at /var/run/docker.sock (${(error as Error).message}); ` +
        'start it (apt-get install docker.io; dockerd &) to run this test',
    );
  }
  const images = await docker.listImages({ filters: { reference: [image] } });
  if (images.length === 0)
    throw new Error(`the image ${image} is missing; build it with deploy/docker/build-offline-base.sh`);
}
