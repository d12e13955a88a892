/*
 * The floor for extension start in C: register for INVOKE and SHUTDOWN, then wait on
 * `event/next` until SHUTDOWN. One short-lived HTTP/1.1 connection per request keeps the
 * parsing trivial; the cost of a loopback connect is a few microseconds.
 */
#include <arpa/inet.h>
#include <libgen.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESPONSE_MAX 65536

static char host[256];
static char port[16];

/* Sends one request and reads the whole response (the server closes the connection). */
static int exchange(const char *request, char *response, size_t capacity) {
  struct addrinfo hints = {0}, *address = NULL;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &address) != 0) return -1;
  int fd = socket(address->ai_family, address->ai_socktype, 0);
  if (fd < 0 || connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
    freeaddrinfo(address);
    return -1;
  }
  freeaddrinfo(address);
  size_t length = strlen(request);
  for (size_t sent = 0; sent < length;) {
    ssize_t n = write(fd, request + sent, length - sent);
    if (n <= 0) { close(fd); return -1; }
    sent += (size_t)n;
  }
  size_t received = 0;
  for (;;) {
    ssize_t n = read(fd, response + received, capacity - 1 - received);
    if (n <= 0) break;
    received += (size_t)n;
    if (received == capacity - 1) break;
  }
  response[received] = '\0';
  close(fd);
  return (int)received;
}

/* Copies the value of header `name` (case-insensitive) into `value`; returns 0 when found. */
static int header_value(const char *response, const char *name, char *value, size_t capacity) {
  size_t name_length = strlen(name);
  for (const char *line = strstr(response, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    const char *start = line + 2;
    if (strncasecmp(start, name, name_length) == 0 && start[name_length] == ':') {
      start += name_length + 1;
      while (*start == ' ') start++;
      size_t i = 0;
      while (start[i] && start[i] != '\r' && i < capacity - 1) { value[i] = start[i]; i++; }
      value[i] = '\0';
      return 0;
    }
  }
  return -1;
}

int main(int argc, char **argv) {
  (void)argc;
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  const char *colon = api ? strrchr(api, ':') : NULL;
  if (!colon || colon - api >= (long)sizeof(host)) {
    fprintf(stderr, "AWS_LAMBDA_RUNTIME_API is not set; run this under Lambda or a Lambda sandbox\n");
    return 1;
  }
  memcpy(host, api, (size_t)(colon - api));
  host[colon - api] = '\0';
  snprintf(port, sizeof(port), "%s", colon + 1);
  /* Lambda requires the registered name to equal the executable's file name. */
  const char *name = getenv("FLOOR_EXTENSION_NAME");
  if (!name) name = basename(argv[0]);

  static char request[1024];
  static char response[RESPONSE_MAX];
  const char *body = "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
  snprintf(request, sizeof(request),
           "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Name: %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
           api, name, strlen(body), body);
  char id[128];
  if (exchange(request, response, sizeof(response)) <= 0 || strncmp(response + 9, "200", 3) != 0 ||
      header_value(response, "Lambda-Extension-Identifier", id, sizeof(id)) != 0) {
    fprintf(stderr, "register failed\n");
    return 1;
  }
  snprintf(request, sizeof(request),
           "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Identifier: %s\r\n"
           "Connection: close\r\n\r\n",
           api, id);
  for (;;) {
    if (exchange(request, response, sizeof(response)) <= 0 || strncmp(response + 9, "200", 3) != 0) return 1;
    if (strstr(response, "\"SHUTDOWN\"")) return 0;
  }
}
