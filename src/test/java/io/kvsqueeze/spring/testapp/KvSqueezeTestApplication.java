package io.kvsqueeze.spring.testapp;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A plain application with nothing but the starter on its classpath: what a user of the starter writes. */
@SpringBootApplication
public class KvSqueezeTestApplication {
}
